import { useEffect, useState } from 'react';
import { api, type Member } from './api.ts';

/** Members of a workspace, shared between screens so names resolve without refetching. */
const cache = new Map<string, { at: number; members: Promise<Member[]> }>();
const MAX_AGE_MS = 60_000;

export function loadMembers(slug: string, fresh = false): Promise<Member[]> {
  const cached = cache.get(slug);
  if (cached && !fresh && Date.now() - cached.at < MAX_AGE_MS) return cached.members;
  const members = api.members(slug).then((r) => r.members);
  members.catch(() => cache.delete(slug));
  cache.set(slug, { at: Date.now(), members });
  return members;
}

/** Sets of unknown ids already refetched for, so a departed member never causes a loop. */
const refetched = new Set<string>();

/**
 * The workspace's members. `userIds` are ids the screen shows (authors, assignees): if one is
 * unknown, someone joined since the list was cached, so it is fetched again once.
 */
export function useMembers(slug: string, userIds: (string | null | undefined)[] = []): Member[] {
  const [members, setMembers] = useState<Member[] | null>(null);
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
  const missing = members
    ? [...new Set(userIds.filter((id): id is string => !!id && !members.some((m) => m.userId === id)))].sort().join(',')
    : '';
  useEffect(() => {
    const key = `${slug}:${missing}`;
    if (!missing || refetched.has(key)) return;
    refetched.add(key);
    let active = true;
    loadMembers(slug, true).then((list) => active && setMembers(list), () => {});
    return () => {
      active = false;
    };
  }, [slug, missing]);
  return members ?? [];
}

export function memberName(members: Member[], userId: string | null | undefined): string {
  if (!userId) return 'Unassigned';
  const member = members.find((m) => m.userId === userId);
  return member ? member.name || member.email : 'Former member';
}
