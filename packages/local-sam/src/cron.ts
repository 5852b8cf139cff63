// EventBridge's cron(...) expressions, read as EventBridge reads them (its "Cron expressions
// reference"): six fields, Minutes Hours Day-of-month Month Day-of-week Year, always in UTC here
// (a ScheduleV2 with another ScheduleExpressionTimezone is named at startup instead).
//
//   Minutes 0-59 , - * /      Hours 0-23 , - * /        Day-of-month 1-31 , - * ? / L W
//   Month 1-12|JAN-DEC , - * /  Day-of-week 1-7|SUN-SAT , - * ? L #   Year 1970-2199 , - * /
//
// One of Day-of-month and Day-of-week must be `?`. `L` is the month's last day (Day-of-month) or
// Saturday, the week's last day (Day-of-week); `5L` the month's last Thursday; `3W` the weekday
// nearest the 3rd, within the month; `LW` the month's last weekday; `3#2` its second Tuesday.

export class CronError extends Error {}

export interface Cron {
  expression: string;
  minutes: Set<number>;
  hours: Set<number>;
  months: Set<number>;
  years: Set<number>;
  /** Whether a day (UTC year, month 1-12, day 1-31) matches Day-of-month and Day-of-week. */
  day(year: number, month: number, day: number): boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const FIRST_YEAR = 1970;
const LAST_YEAR = 2199;

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** EventBridge's day of the week: 1 is Sunday. */
const weekdayOf = (year: number, month: number, day: number) => new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

function value(text: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const number = named >= 0 ? named + 1 : /^\d+$/.test(text) ? Number(text) : NaN;
  if (Number.isNaN(number) || number < spec.min || number > spec.max) throw new CronError(`${spec.name} ${text} is not in ${spec.min}-${spec.max}`);
  return number;
}

/** A field of numbers: lists of values, ranges, `*` and increments. */
function numbers(field: string, spec: FieldSpec): Set<number> {
  const set = new Set<number>();
  for (const part of field.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new CronError(`${spec.name} has an invalid increment in ${part}`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [spec.min, spec.max];
    else if (range.includes('-')) {
      const [low = '', high = ''] = range.split('-');
      [from, to] = [value(low, spec), value(high, spec)];
      if (from > to) throw new CronError(`${spec.name} range ${range} runs backwards`);
    } else {
      from = value(range, spec);
      // `1/10`: from 1 to the end in tens; a lone value is just itself.
      to = stepText === undefined ? from : spec.max;
    }
    for (let n = from; n <= to; n += step) set.add(n);
  }
  return set;
}

type DayRule = (year: number, month: number, day: number) => boolean;

function dayOfMonthRule(field: string): DayRule {
  const spec = { name: 'Day-of-month', min: 1, max: 31 };
  if (field === '*' || field === '?') return () => true;
  if (field === 'L') return (year, month, day) => day === daysIn(year, month);
  if (field === 'LW') {
    return (year, month, day) => {
      let last = daysIn(year, month);
      while ([1, 7].includes(weekdayOf(year, month, last))) last -= 1;
      return day === last;
    };
  }
  const nearest = /^(\d+)W$/.exec(field);
  if (nearest) {
    const target = value(nearest[1] ?? '', spec);
    return (year, month, day) => {
      const length = daysIn(year, month);
      if (target > length) return false;
      const weekday = weekdayOf(year, month, target);
      // Saturday moves to Friday and Sunday to Monday, but never into another month.
      let chosen = target;
      if (weekday === 7) chosen = target === 1 ? 3 : target - 1;
      else if (weekday === 1) chosen = target === length ? target - 2 : target + 1;
      return day === chosen;
    };
  }
  const set = numbers(field, spec);
  return (_year, _month, day) => set.has(day);
}

function dayOfWeekRule(field: string): DayRule {
  const spec = { name: 'Day-of-week', min: 1, max: 7, names: WEEKDAYS };
  if (field === '*' || field === '?') return () => true;
  if (field === 'L') return (year, month, day) => weekdayOf(year, month, day) === 7;
  const last = /^(\w+)L$/.exec(field);
  if (last) {
    const weekday = value(last[1] ?? '', spec);
    return (year, month, day) => weekdayOf(year, month, day) === weekday && day + 7 > daysIn(year, month);
  }
  const nth = /^(\w+)#(\d)$/.exec(field);
  if (nth) {
    const weekday = value(nth[1] ?? '', spec);
    const instance = Number(nth[2]);
    if (instance < 1 || instance > 5) throw new CronError(`Day-of-week ${field}: a month has at most five of a weekday`);
    return (year, month, day) => weekdayOf(year, month, day) === weekday && Math.ceil(day / 7) === instance;
  }
  if (field.includes('#')) throw new CronError(`Day-of-week ${field}: # takes one expression only`);
  const set = numbers(field, spec);
  return (year, month, day) => set.has(weekdayOf(year, month, day));
}

/** Parses `cron(...)`; throws a CronError saying what is wrong, as EventBridge refuses such a rule. */
export function parseCron(expression: string): Cron {
  const match = /^cron\((.*)\)$/i.exec(expression.trim());
  if (!match) throw new CronError(`${expression} is not a cron(...) expression`);
  const fields = (match[1] ?? '').trim().split(/\s+/);
  if (fields.length !== 6) throw new CronError(`${expression} has ${fields.length} fields; EventBridge's cron has six (minutes hours day-of-month month day-of-week year)`);
  const [minutes = '', hours = '', dayOfMonth = '', month = '', dayOfWeek = '', year = ''] = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) throw new CronError(`${expression}: exactly one of day-of-month and day-of-week must be ?`);
  const domRule = dayOfMonthRule(dayOfMonth);
  const dowRule = dayOfWeekRule(dayOfWeek);
  return {
    expression,
    minutes: numbers(minutes, { name: 'Minutes', min: 0, max: 59 }),
    hours: numbers(hours, { name: 'Hours', min: 0, max: 23 }),
    months: numbers(month, { name: 'Month', min: 1, max: 12, names: MONTHS }),
    years: numbers(year, { name: 'Year', min: FIRST_YEAR, max: LAST_YEAR }),
    day: (y, m, d) => domRule(y, m, d) && dowRule(y, m, d),
  };
}

/** The first time the expression fires strictly after `after` (epoch ms, UTC), or undefined if it never does again. */
export function nextCronTime(cron: Cron, after: number): number | undefined {
  // The next whole minute after `after`.
  const start = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  const sortedHours = [...cron.hours].sort((a, b) => a - b);
  const sortedMinutes = [...cron.minutes].sort((a, b) => a - b);
  const lastYear = Math.min(LAST_YEAR, Math.max(...cron.years));
  let first = true;
  for (let date = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()); ; date += 86_400_000, first = false) {
    const day = new Date(date);
    const [year, month, dayOfMonth] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    if (year > lastYear) return undefined;
    if (!cron.years.has(year) || !cron.months.has(month) || !cron.day(year, month, dayOfMonth)) continue;
    for (const hour of sortedHours) {
      if (first && hour < start.getUTCHours()) continue;
      for (const minute of sortedMinutes) {
        if (first && hour === start.getUTCHours() && minute < start.getUTCMinutes()) continue;
        return Date.UTC(year, month - 1, dayOfMonth, hour, minute);
      }
    }
  }
}
