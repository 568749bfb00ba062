import { displayText } from '@palyra/shared/text';

/**
 * Node names as text output shows them: escaped (see displayText), and, when several devices
 * carry the same name, marked with the device id, because two nodes may share a name and
 * the operator must still see that they are different devices. Compared as displayed: names
 * that differ only in what gets escaped would still look alike.
 */
export function displayNodeNames(nodes: ReadonlyArray<{ deviceId: string; name: string }>): Map<string, string> {
  const shown = nodes.map((n) => ({ deviceId: n.deviceId, name: displayText(n.name) }));
  const counts = new Map<string, number>();
  for (const { name } of shown) counts.set(name, (counts.get(name) ?? 0) + 1);
  return new Map(
    shown.map(({ deviceId, name }) => {
      const sharing = counts.get(name) ?? 1;
      return [deviceId, sharing > 1 ? `${name} [name shared by ${sharing} devices; this is ${deviceId}]` : name];
    }),
  );
}
