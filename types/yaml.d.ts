// swagger.yaml is bundled as text (esbuild's `.yaml=text` loader, a Jest transform in tests).
declare module '*.yaml' {
  const text: string;
  export default text;
}
