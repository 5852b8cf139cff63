// Jest counterpart of esbuild's `.yaml=text` loader: a YAML file imports as its text.
module.exports = {
  process(sourceText) {
    return { code: `module.exports = ${JSON.stringify(sourceText)};` };
  },
};
