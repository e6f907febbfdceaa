/**
 * Finding a WebGPU device through the `webgpu` npm package (Dawn's Node binding), loaded on demand.
 *
 * Policy: a hardware adapter (Dawn's default backends: Vulkan on Linux, Metal, D3D12) is used when there is
 * one. A software adapter (Mesa llvmpipe through Dawn's OpenGL ES backend, or any adapter that says it is a
 * CPU/fallback one) is used only when asked for with RSN_WEBGPU_SOFTWARE=1: it is ~1000x slower than a GPU
 * and exists for the conformance tests on machines without a GPU. Otherwise loading fails with a BackendError
 * that says what was found and what to install.
 */
import { BackendError } from '../../core/errors.js';

/** The `webgpu` version rsn is tested with (package.json pins it as an optional dependency). */
export const WEBGPU_VERSION = '0.6.2';
/** Set to 1 to allow a software adapter (Mesa llvmpipe) when no hardware adapter exists. */
export const SOFTWARE_ENV = 'RSN_WEBGPU_SOFTWARE';

const INSTALL_HINT = `npm install webgpu@${WEBGPU_VERSION} (an optional dependency of rsn: the prebuilt Dawn binding, no build step)`;
const SOFTWARE_PACKAGES = 'libegl-mesa0 libegl1 libgles2 libgl1-mesa-dri';

type WebgpuModule = typeof import('webgpu');

export interface AcquiredDevice {
  /**
   * The Dawn instance the device came from. Whoever holds the device must hold this too: when the GPU object
   * is garbage-collected Dawn destroys its instance under the live device, and the process later crashes in
   * a corrupted mutex (seen on llvmpipe after a few dozen reads).
   */
  readonly gpu: GPU;
  readonly device: GPUDevice;
  readonly software: boolean;
  /** The adapter in words, e.g. "software: llvmpipe-llvm-15 (OpenGL ES 3.2 Mesa 22.3.6, compatibility mode)". */
  readonly adapter: string;
}

async function loadModule(): Promise<WebgpuModule> {
  try {
    return await import('webgpu');
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new BackendError(`backend 'webgpu' needs the npm package webgpu, which is not installed or failed to load (${reason})`, INSTALL_HINT);
  }
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

function describe(adapter: GPUAdapter, compatibility = false): { text: string; software: boolean } {
  const { vendor, architecture, device, description, isFallbackAdapter } = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const name = [vendor, architecture, device].filter(Boolean).join(' ') || 'unnamed adapter';
  const software = Boolean(isFallbackAdapter) || SOFTWARE_NAMES.test(`${name} ${description}`);
  const mode = compatibility ? ', compatibility mode' : '';
  return { text: `${software ? 'software' : 'hardware'}: ${name}${description ? ` (${description}${mode})` : mode ? ` (${mode.slice(2)})` : ''}`, software };
}

/** The limits rsn's kernels need, raised to what the adapter offers (compatibility mode starts lower). */
function requiredLimits(adapter: GPUAdapter): Record<string, number> {
  const { limits } = adapter;
  return {
    maxComputeInvocationsPerWorkgroup: Math.min(256, limits.maxComputeInvocationsPerWorkgroup),
    maxComputeWorkgroupSizeX: Math.min(256, limits.maxComputeWorkgroupSizeX),
    maxComputeWorkgroupSizeY: Math.min(256, limits.maxComputeWorkgroupSizeY),
    maxStorageBuffersPerShaderStage: Math.min(8, limits.maxStorageBuffersPerShaderStage),
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxBufferSize: limits.maxBufferSize,
  };
}

async function openDevice(gpu: GPU, adapter: GPUAdapter, software: boolean, text: string): Promise<AcquiredDevice> {
  const limits = requiredLimits(adapter);
  if (limits.maxComputeInvocationsPerWorkgroup! < 256 || limits.maxStorageBuffersPerShaderStage! < 4) {
    throw new BackendError(`the WebGPU adapter (${text}) offers fewer than 256 invocations per workgroup or 4 storage buffers per stage`, 'rsn\'s kernels need both');
  }
  const device = await adapter.requestDevice({ requiredLimits: limits });
  return { gpu, device, software, adapter: text };
}

/**
 * Whether the dynamic loader finds `library` by its name, as Dawn's dlopen would. process.dlopen loads it and
 * then throws, since it is no Node addon; only a failure to find or open the file says it is missing.
 */
export function sharedLibraryLoads(library: string): boolean {
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, library);
    return true;
  } catch (error) {
    return !/cannot open shared object file|image not found|no such file/i.test((error as Error).message);
  }
}

/**
 * The Vulkan loader Dawn needs for a hardware adapter on Linux. Without it Dawn's default backends find nothing
 * and Dawn writes a raw warning ("Couldn't load Vulkan ...") to the process's stderr, which rsn cannot capture,
 * so they are not asked.
 */
const VULKAN_LOADER = 'libvulkan.so.1';

/**
 * Every Dawn instance this process created, kept for the life of the process. An instance that is garbage-collected
 * is destroyed by Dawn, and such a destruction beside a device being torn down (a closed backend, an adapter looked
 * at and passed over) is the likely cause of a worker of the test suite dying in a glibc futex assertion ("The futex
 * facility returned an unexpected error code") once, in a file that loaded, closed and loaded the backend again:
 * the failure mode described at AcquiredDevice.gpu. A few instances per process are all rsn makes.
 */
const instances: GPU[] = [];
const keptForTheProcess = (gpu: GPU): GPU => (instances.push(gpu), gpu);

/**
 * The device rsn's webgpu backend runs on (see the policy above). On Linux without the Vulkan loader, Dawn's
 * default backends are not asked (see VULKAN_LOADER).
 */
export async function acquireDevice(env: NodeJS.ProcessEnv = process.env, vulkanLoads = () => process.platform !== 'linux' || sharedLibraryLoads(VULKAN_LOADER)): Promise<AcquiredDevice> {
  const { create } = await loadModule();
  const allowSoftware = env[SOFTWARE_ENV] === '1';

  const defaultGpu = vulkanLoads() ? keptForTheProcess(create([])) : undefined;
  const hardware = defaultGpu && await defaultGpu.requestAdapter({ powerPreference: 'high-performance' });
  let found = defaultGpu
    ? 'no adapter from Dawn\'s default backends (Vulkan on Linux: is a GPU driver with its Vulkan ICD installed?)'
    : `no Vulkan loader (${VULKAN_LOADER}: apt-get install libvulkan1 and the GPU's driver)`;
  if (defaultGpu && hardware) {
    const { text, software } = describe(hardware);
    if (!software) return openDevice(defaultGpu, hardware, false, text);
    if (allowSoftware) return openDevice(defaultGpu, hardware, true, text);
    found = `only a software adapter (${text})`;
  }

  if (!allowSoftware) {
    throw new BackendError(
      `backend 'webgpu' found no hardware WebGPU adapter: ${found}`,
      `run on a machine with a GPU and its Vulkan driver, or set ${SOFTWARE_ENV}=1 to use Mesa's llvmpipe ` +
        `(slow; for tests; apt-get install ${SOFTWARE_PACKAGES})`,
    );
  }
  // Mesa llvmpipe through Dawn's OpenGL ES backend needs an EGL platform without a display (read by Mesa
  // from this process's environment).
  process.env.EGL_PLATFORM ??= 'surfaceless';
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const glesGpu = keptForTheProcess(create(['backend=opengles']));
  const software = await glesGpu.requestAdapter({ featureLevel: 'compatibility' });
  if (!software) {
    throw new BackendError(
      `backend 'webgpu' found no WebGPU adapter, not even a software one (${SOFTWARE_ENV}=1: ${found}; Dawn's OpenGL ES backend found none)`,
      `apt-get install ${SOFTWARE_PACKAGES} (Mesa's llvmpipe), and run with EGL_PLATFORM=surfaceless`,
    );
  }
  const { text } = describe(software, true);
  return openDevice(glesGpu, software, true, text.startsWith('software') ? text : `software: ${text.slice('hardware: '.length)}`);
}
