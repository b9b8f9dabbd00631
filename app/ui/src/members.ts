import { useEffect, useState } from 'react';
import { api, type Member } from './api.ts';

/** Members of a workspace, shared between screens so names resolve without refetching. */
const cache = new Map<string, Promise<Member[]>>();

export function loadMembers(slug: string, fresh = false): Promise<Member[]> {
  let entry = fresh ? undefined : cache.get(slug);
  if (!entry) {
    entry = api.members(slug).then((r) => r.members);
    entry.catch(() => cache.delete(slug));
    cache.set(slug, entry);
  }
  return entry;
}

export function useMembers(slug: string): Member[] {
  const [members, setMembers] = useState<Member[]>([]);
  useEffect(() => {
    let active = true;
    loadMembers(slug).then(
      (list) => active && setMembers(list),
      () => active && setMembers([]),
    );
    return () => {
      active = false;
    };
  }, [slug]);
  return members;
}

export function memberName(members: Member[], userId: string | null | undefined): string {
  if (!userId) return 'Unassigned';
  const member = members.find((m) => m.userId === userId);
  return member ? member.name || member.email : 'Former member';
}
