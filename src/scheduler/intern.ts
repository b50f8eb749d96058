/** The dense id of `key` in `map`, handing out the next id (the map's size) to a new key. */
export function intern(map: Map<string, number>, key: string): number {
  let id = map.get(key);
  if (id === undefined) {
    id = map.size;
    map.set(key, id);
  }
  return id;
}
