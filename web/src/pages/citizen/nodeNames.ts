/** Node names for people, read from the federation directory every node serves publicly (signed; read here for display only). */
import { useQuery } from '@tanstack/react-query';
import { client, ok } from '../../api/client';

/** Node names from the public, signed directory; codes where it cannot be read. */
export function useNodeNames(): Record<string, string> {
  const directory = useQuery({
    queryKey: ['public-directory'],
    retry: false,
    staleTime: 5 * 60_000,
    queryFn: async () => {
      const jws = await ok(client.GET('/api/v1/directory'));
      const payload = (jws as { payload?: unknown }).payload;
      if (typeof payload !== 'string') return {};
      const padded = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
      const text = new TextDecoder().decode(Uint8Array.from(atob(padded), (char) => char.charCodeAt(0)));
      const members = (JSON.parse(text) as { members?: { code?: unknown; name?: unknown }[] }).members ?? [];
      return Object.fromEntries(members.filter((member) => typeof member.code === 'string' && typeof member.name === 'string').map((member) => [member.code, member.name])) as Record<string, string>;
    },
  });
  return directory.data ?? {};
}

/** `名称（代码）` when the directory names the node, else the code. */
export function nodeLabel(names: Readonly<Record<string, string>>, code: string): string {
  return names[code] ? `${names[code]}（${code}）` : code;
}
