/**
 * ImagePropertiesFilter (Nova's, on per-host small ints and bit sets): when the request's image asks
 * for an architecture (hw_architecture), a hypervisor type (img_hv_type) or — ours — a machine type
 * (hw_machine_type), the host must support each one asked. A host that reports nothing for an asked
 * property does not pass (as in Nova, where a host without supported_instances fails an image with
 * properties). An image without these properties passes every host.
 *
 * Deviation from Nova: the host's architectures and hypervisor type are independent facts (Nova
 * matches (arch, hv_type, vm_mode) triples of supported_instances); hw_vm_mode and
 * img_hv_requested_version are not checked.
 */
import { planStage, type FilterContext, type HostFilterStage } from './stage.js';

interface ImagePlan {
  readonly any: boolean;
  /** Bit of the asked architecture / machine type (0 when no host has the name: nothing matches); hv −1 likewise. */
  readonly archAsked: boolean;
  readonly archBit: number;
  readonly hvAsked: boolean;
  readonly hv: number;
  readonly machineAsked: boolean;
  readonly machineBit: number;
}

const NOTHING: ImagePlan = { any: false, archAsked: false, archBit: 0, hvAsked: false, hv: -1, machineAsked: false, machineBit: 0 };

function prepare(ctx: FilterContext): ImagePlan {
  const img = ctx.request.image;
  if (img === undefined) return NOTHING;
  const s = ctx.hostState;
  const archAsked = img.hw_architecture !== undefined;
  const hvAsked = img.img_hv_type !== undefined;
  const machineAsked = img.hw_machine_type !== undefined;
  const a = archAsked && s !== undefined ? s.architectureNames.id(img.hw_architecture as string) : -1;
  const hv = hvAsked && s !== undefined ? s.hypervisorTypeNames.id(img.img_hv_type as string) : -1;
  const m = machineAsked && s !== undefined ? s.machineTypeNames.id(img.hw_machine_type as string) : -1;
  return {
    any: archAsked || hvAsked || machineAsked,
    archAsked,
    archBit: a < 0 ? 0 : (1 << a) >>> 0,
    hvAsked,
    hv,
    machineAsked,
    machineBit: m < 0 ? 0 : (1 << m) >>> 0,
  };
}

function passes(host: number, p: ImagePlan, ctx: FilterContext): boolean {
  if (!p.any) return true;
  const s = ctx.hostState;
  if (s === undefined) return false;
  if (p.archAsked && ((s.architectures[host] ?? 0) & p.archBit) === 0) return false;
  if (p.hvAsked && (p.hv < 0 || (s.hypervisorType[host] ?? -1) !== p.hv)) return false;
  if (p.machineAsked && ((s.machineTypes[host] ?? 0) & p.machineBit) === 0) return false;
  return true;
}

function reason(host: number, p: ImagePlan, ctx: FilterContext): string {
  const img = ctx.request.image ?? {};
  const s = ctx.hostState;
  if (p.archAsked && (s === undefined || ((s.architectures[host] ?? 0) & p.archBit) === 0)) {
    const has = s === undefined ? 'none' : s.architectureNames.names(s.architectures[host] ?? 0);
    return `image needs architecture ${img.hw_architecture}; host supports ${has}`;
  }
  if (p.hvAsked && (s === undefined || p.hv < 0 || (s.hypervisorType[host] ?? -1) !== p.hv)) {
    const t = s === undefined ? -1 : (s.hypervisorType[host] ?? -1);
    return `image needs hypervisor type ${img.img_hv_type}; host runs ${t < 0 || s === undefined ? 'an unknown hypervisor' : s.hypervisorTypeNames.name(t)}`;
  }
  const has = s === undefined ? 'none' : s.machineTypeNames.names(s.machineTypes[host] ?? 0);
  return `image needs machine type ${img.hw_machine_type}; host offers ${has}`;
}

export function imagePropertiesFilter(): HostFilterStage {
  return planStage('ImagePropertiesFilter', prepare, passes, reason, (p) => !p.any);
}
