// Link tooltips: hovering a link's midpoint shows its type and what it joins
// ("IMAGE  Load Image.IMAGE → Save Image.images"). Litegraph only writes a tooltip for links that
// carry run-time data, which ComfyUI's links never do.
import { LLink, type LGraph, type LGraphCanvas } from '@comfyorg/litegraph';

/** The text for a link of `graph` (subgraph inputs and outputs named as such). */
export function linkTooltipText(graph: LGraph, link: LLink): string {
  const origin = graph.getNodeById(link.origin_id);
  const target = graph.getNodeById(link.target_id);
  const from = origin ? `${origin.title}.${origin.outputs[link.origin_slot]?.label ?? origin.outputs[link.origin_slot]?.name ?? link.origin_slot}` : 'subgraph input';
  const to = target ? `${target.title}.${target.inputs[link.target_slot]?.label ?? target.inputs[link.target_slot]?.name ?? link.target_slot}` : 'subgraph output';
  return `${String(link.type)}  ${from} → ${to}`;
}

export function installLinkTooltips(canvas: LGraphCanvas): void {
  const drawMarker = canvas.drawLinkTooltip.bind(canvas);
  canvas.drawLinkTooltip = (ctx, segment) => {
    drawMarker(ctx, segment);
    const graph = canvas.graph as LGraph | null;
    if (!(segment instanceof LLink) || !graph) return;
    const text = linkTooltipText(graph, segment);
    const [x = 0, y = 0] = segment._pos;
    ctx.save();
    ctx.font = '13px sans-serif';
    const width = Math.min(ctx.measureText(text).width, 480) + 16;
    const height = 22;
    ctx.fillStyle = 'rgba(20, 22, 26, 0.92)';
    ctx.strokeStyle = '#6b7280';
    ctx.beginPath();
    ctx.roundRect(x - width / 2, y - 14 - height, width, height, 4);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = '#f0f0f0';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, x, y - 14 - height / 2, 480);
    ctx.restore();
  };
}
