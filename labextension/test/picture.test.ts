import { focusNode, isGroup, renderOptions } from '../src/picture';

describe('picture helpers', () => {
  it('tells group nodes by their class', () => {
    expect(isGroup('Group Failed picked')).toBe(true);
    expect(isGroup('Pod Succeeded')).toBe(false);
    expect(isGroup('Grouped')).toBe(false);
    expect(isGroup(undefined)).toBe(false);
  });

  it('draws big pictures cheaply while panning', () => {
    expect(renderOptions(100)).toMatchObject({ textureOnViewport: false, hideEdgesOnViewport: false });
    expect(renderOptions(5000)).toMatchObject({ textureOnViewport: true, hideEdgesOnViewport: true, pixelRatio: 1 });
  });

  it('focuses a node at a readable zoom and selects it', () => {
    let zoom = 0.1;
    const calls: string[] = [];
    const node = { empty: () => false, select: () => calls.push('select') };
    const cy: any = {
      getElementById: (id: string) => (id === 'a' ? node : { empty: () => true }),
      zoom: (z?: number) => (z === undefined ? zoom : ((zoom = z), undefined)),
      maxZoom: () => 2.5,
      center: () => calls.push('center'),
      $: () => ({ unselect: () => calls.push('unselect') })
    };
    expect(focusNode(cy, 'missing')).toBe(false);
    expect(focusNode(cy, 'a')).toBe(true);
    expect(zoom).toBe(1);
    expect(calls).toEqual(['center', 'unselect', 'select']);
  });
});
