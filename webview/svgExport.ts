/**
 * The graph as a standalone SVG document (answer to `requestSvg`). The page's styles come from
 * style.css and theme variables, which a file on disk does not have, so the computed values of the
 * properties that matter are copied onto each element of a clone.
 */
const STYLE_PROPERTIES = [
  'fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'opacity', 'display',
  'font-family', 'font-size', 'font-weight', 'font-style', 'text-anchor', 'dominant-baseline', 'paint-order',
  'stroke-linejoin', 'visibility',
] as const;

export function exportSvg(source: SVGSVGElement, viewport: SVGGElement): string {
  const clone = source.cloneNode(true) as SVGSVGElement;
  const originals = [source, ...Array.from(source.querySelectorAll('*'))];
  const copies = [clone, ...Array.from(clone.querySelectorAll('*'))];
  originals.forEach((original, index) => {
    const copy = copies[index];
    if (!(copy instanceof SVGElement)) {
      return;
    }
    const computed = getComputedStyle(original);
    for (const property of STYLE_PROPERTIES) {
      const value = computed.getPropertyValue(property);
      if (value) {
        copy.style.setProperty(property, value);
      }
    }
    copy.removeAttribute('class');
  });
  // Frame the whole graph, whatever the current pan/zoom.
  const box = viewport.getBBox();
  const margin = 20;
  clone.querySelector('.viewport')?.removeAttribute('transform');
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('viewBox', `${box.x - margin} ${box.y - margin} ${box.width + 2 * margin} ${box.height + 2 * margin}`);
  clone.setAttribute('width', String(Math.ceil(box.width + 2 * margin)));
  clone.setAttribute('height', String(Math.ceil(box.height + 2 * margin)));
  const background = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  background.setAttribute('x', String(box.x - margin));
  background.setAttribute('y', String(box.y - margin));
  background.setAttribute('width', String(box.width + 2 * margin));
  background.setAttribute('height', String(box.height + 2 * margin));
  background.style.setProperty('fill', getComputedStyle(document.body).backgroundColor || 'white');
  clone.insertBefore(background, clone.firstChild);
  return new XMLSerializer().serializeToString(clone);
}
