/** Access log URLs: sensitive query values are replaced, everything else is kept as sent. */
import { describe, expect, it } from 'vitest';
import { safeUrl } from '../src/logger.ts';

describe('safeUrl', () => {
  it('keeps a path and an innocent query string exactly as sent', () => {
    expect(safeUrl('/api/v1/workspaces/eng/issues')).toBe('/api/v1/workspaces/eng/issues');
    expect(safeUrl('/api/v1/workspaces/eng/issues?limit=50&status=open,closed&q=login loop')).toBe('/api/v1/workspaces/eng/issues?limit=50&status=open,closed&q=login loop');
    // "keyboard" starts like "key" but is not sensitive: parsed, found innocent, printed again.
    expect(safeUrl('/x?keyboard=1')).toBe('/x?keyboard=1');
  });

  it('replaces the values of sensitive parameters, whatever their case', () => {
    expect(safeUrl('/api/v1/auth/verify?token=abc&next=/eng')).toBe('/api/v1/auth/verify?token=%5Bredacted%5D&next=%2Feng');
    expect(safeUrl('/cb?state=s1&CODE=c2')).toBe('/cb?state=%5Bredacted%5D&CODE=%5Bredacted%5D');
    expect(safeUrl('/f?X-Amz-Signature=sig&X-Amz-Credential=cred&part=1')).toBe('/f?X-Amz-Signature=%5Bredacted%5D&X-Amz-Credential=%5Bredacted%5D&part=1');
  });

  it('replaces them when the name is percent-encoded or follows another parameter', () => {
    expect(safeUrl('/v?%74oken=abc')).toBe('/v?token=%5Bredacted%5D');
    expect(safeUrl('/v?limit=1&password=hunter2')).toBe('/v?limit=1&password=%5Bredacted%5D');
  });

  it('replaces parameters whose name contains a sensitive word, as integrations name them', () => {
    expect(safeUrl('/api/v1/me?access_token=a&api_key=b&id_token=c&refresh_token=d&client_secret=e&apiKey=f&t=1')).toBe(
      '/api/v1/me?access_token=%5Bredacted%5D&api_key=%5Bredacted%5D&id_token=%5Bredacted%5D&refresh_token=%5Bredacted%5D&client_secret=%5Bredacted%5D&apiKey=%5Bredacted%5D&t=1',
    );
    expect(safeUrl('/f?X-Amz-Security-Token=t&X-Amz-Date=20261203')).toBe('/f?X-Amz-Security-Token=%5Bredacted%5D&X-Amz-Date=20261203');
    // A word inside another word is not one: searches and keyboards are kept.
    expect(safeUrl('/x?q=monkey&keyboard=1&statement=2')).toBe('/x?q=monkey&keyboard=1&statement=2');
  });
});
