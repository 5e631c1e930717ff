/*
 * A stand-in for libcuda.so.1 for the binding tests on machines without a GPU. It is compiled against
 * the real cuda.h, so every function below must have the exact prototype (and, through cuda.h's
 * macros, the exact versioned symbol name) that the driver exports; the Java bindings then call it
 * and the test checks that every argument arrived. "Device memory" is host memory here, device
 * pointers are host addresses, and launches and graph operations are recorded, not run.
 */
#include <cuda.h>
#include <stdlib.h>
#include <string.h>

static int last_grid[3], last_block[3];
static unsigned last_shared;
static long long last_param0, last_param1;
static int last_param2;
static float last_param3;
static int capture_mode = -1;
static int primary_retains;

/* What the last cuLaunchKernel received; params assumed (long, long, int, float) by the test. */
void fake_last_launch(int *grid, int *block, unsigned *shared, long long *p0, long long *p1, int *p2, float *p3) {
    memcpy(grid, last_grid, sizeof last_grid);
    memcpy(block, last_block, sizeof last_block);
    *shared = last_shared;
    *p0 = last_param0;
    *p1 = last_param1;
    *p2 = last_param2;
    *p3 = last_param3;
}

int fake_capture_mode(void) { return capture_mode; }
int fake_primary_retains(void) { return primary_retains; }

CUresult CUDAAPI cuInit(unsigned int flags) { return flags == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE; }
CUresult CUDAAPI cuDriverGetVersion(int *v) { *v = 13000; return CUDA_SUCCESS; }
CUresult CUDAAPI cuDeviceGetCount(int *n) { *n = 2; return CUDA_SUCCESS; }
CUresult CUDAAPI cuDeviceGet(CUdevice *d, int ordinal) {
    if (ordinal < 0 || ordinal > 1) return CUDA_ERROR_INVALID_DEVICE;
    *d = 40 + ordinal;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuDeviceGetName(char *name, int len, CUdevice d) {
    if (len < 32) return CUDA_ERROR_INVALID_VALUE;
    strcpy(name, d == 41 ? "Fake GPU 1" : "Fake GPU 0");
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuDeviceGetAttribute(int *v, CUdevice_attribute a, CUdevice d) {
    if (a == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) *v = 9;
    else if (a == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR) *v = 0;
    else *v = 1000 + d;
    return CUDA_SUCCESS;
}
static struct CUctx_st { int device; } contexts[2];
CUresult CUDAAPI cuDevicePrimaryCtxRetain(CUcontext *c, CUdevice d) {
    contexts[d - 40].device = d;
    *c = &contexts[d - 40];
    primary_retains++;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuDevicePrimaryCtxRelease(CUdevice d) { (void) d; primary_retains--; return CUDA_SUCCESS; }
CUresult CUDAAPI cuCtxSetCurrent(CUcontext c) { return c == &contexts[0] || c == &contexts[1] ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT; }

static struct CUstream_st { int flags; } the_stream;
CUresult CUDAAPI cuStreamCreate(CUstream *s, unsigned int flags) { the_stream.flags = flags; *s = &the_stream; return CUDA_SUCCESS; }
CUresult CUDAAPI cuStreamSynchronize(CUstream s) { return s == &the_stream ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }
CUresult CUDAAPI cuStreamDestroy(CUstream s) { return s == &the_stream ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }

static struct CUevent_st { float time; } events[2];
static int next_event;
CUresult CUDAAPI cuEventCreate(CUevent *e, unsigned int flags) { (void) flags; *e = &events[next_event++ % 2]; return CUDA_SUCCESS; }
CUresult CUDAAPI cuEventRecord(CUevent e, CUstream s) {
    static float clock;
    if (s != &the_stream) return CUDA_ERROR_INVALID_HANDLE;
    clock += 2.5f;
    e->time = clock;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuEventSynchronize(CUevent e) { (void) e; return CUDA_SUCCESS; }
CUresult CUDAAPI cuEventElapsedTime(float *ms, CUevent a, CUevent b) { *ms = b->time - a->time; return CUDA_SUCCESS; }
CUresult CUDAAPI cuEventDestroy(CUevent e) { (void) e; return CUDA_SUCCESS; }

CUresult CUDAAPI cuMemGetInfo(size_t *free_bytes, size_t *total) { *free_bytes = 3ull << 33; *total = 5ull << 33; return CUDA_SUCCESS; }
CUresult CUDAAPI cuMemAlloc(CUdeviceptr *p, size_t bytes) {
    if (bytes > (1ull << 40)) return CUDA_ERROR_OUT_OF_MEMORY;
    void *m = aligned_alloc(256, (bytes + 255) / 256 * 256);
    *p = (CUdeviceptr) m;
    return m ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}
CUresult CUDAAPI cuMemFree(CUdeviceptr p) { free((void *) p); return CUDA_SUCCESS; }
CUresult CUDAAPI cuMemAllocHost(void **p, size_t bytes) { *p = aligned_alloc(4096, (bytes + 4095) / 4096 * 4096); return CUDA_SUCCESS; }
CUresult CUDAAPI cuMemFreeHost(void *p) { free(p); return CUDA_SUCCESS; }
CUresult CUDAAPI cuMemcpyHtoD(CUdeviceptr d, const void *h, size_t n) { memcpy((void *) d, h, n); return CUDA_SUCCESS; }
CUresult CUDAAPI cuMemcpyDtoH(void *h, CUdeviceptr d, size_t n) { memcpy(h, (void *) d, n); return CUDA_SUCCESS; }
CUresult CUDAAPI cuMemcpyHtoDAsync(CUdeviceptr d, const void *h, size_t n, CUstream s) {
    if (s != &the_stream) return CUDA_ERROR_INVALID_HANDLE;
    memcpy((void *) d, h, n);
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemcpyDtoHAsync(void *h, CUdeviceptr d, size_t n, CUstream s) {
    if (s != &the_stream) return CUDA_ERROR_INVALID_HANDLE;
    memcpy(h, (void *) d, n);
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemcpyDtoDAsync(CUdeviceptr d, CUdeviceptr src, size_t n, CUstream s) {
    if (s != &the_stream) return CUDA_ERROR_INVALID_HANDLE;
    memcpy((void *) d, (void *) src, n);
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemsetD32Async(CUdeviceptr d, unsigned int v, size_t count, CUstream s) {
    unsigned int *p = (unsigned int *) d;
    if (s != &the_stream) return CUDA_ERROR_INVALID_HANDLE;
    for (size_t i = 0; i < count; i++) p[i] = v;
    return CUDA_SUCCESS;
}

static struct CUmod_st { const void *image; } the_module;
static struct CUfunc_st { char name[64]; } functions[64];
static int num_functions;
CUresult CUDAAPI cuModuleLoadData(CUmodule *m, const void *image) {
    if (memcmp(image, "\x50\xed\x55\xba", 4) != 0) return CUDA_ERROR_INVALID_IMAGE;
    the_module.image = image;
    *m = &the_module;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuModuleUnload(CUmodule m) { return m == &the_module ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }
CUresult CUDAAPI cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name) {
    if (m != &the_module) return CUDA_ERROR_INVALID_HANDLE;
    if (strncmp(name, "missing", 7) == 0 || num_functions == 64) return CUDA_ERROR_NOT_FOUND;
    strncpy(functions[num_functions].name, name, 63);
    *f = &functions[num_functions++];
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
                                unsigned int by, unsigned int bz, unsigned int shared, CUstream s, void **params,
                                void **extra) {
    if (f == NULL || s != &the_stream || extra != NULL) return CUDA_ERROR_INVALID_VALUE;
    last_grid[0] = gx; last_grid[1] = gy; last_grid[2] = gz;
    last_block[0] = bx; last_block[1] = by; last_block[2] = bz;
    last_shared = shared;
    last_param0 = *(long long *) params[0];
    last_param1 = *(long long *) params[1];
    last_param2 = *(int *) params[2];
    last_param3 = *(float *) params[3];
    return CUDA_SUCCESS;
}

static struct CUgraph_st { int nodes; } the_graph;
static struct CUgraphExec_st { int launches; } the_exec;
CUresult CUDAAPI cuStreamBeginCapture(CUstream s, CUstreamCaptureMode mode) {
    if (s != &the_stream) return CUDA_ERROR_INVALID_HANDLE;
    capture_mode = mode;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuStreamEndCapture(CUstream s, CUgraph *g) { (void) s; *g = &the_graph; return CUDA_SUCCESS; }
CUresult CUDAAPI cuGraphInstantiate(CUgraphExec *e, CUgraph g, unsigned long long flags) {
    if (g != &the_graph || flags != 0) return CUDA_ERROR_INVALID_VALUE;
    *e = &the_exec;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuGraphLaunch(CUgraphExec e, CUstream s) { (void) s; e->launches++; return CUDA_SUCCESS; }
CUresult CUDAAPI cuGraphExecDestroy(CUgraphExec e) { return e == &the_exec ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }
CUresult CUDAAPI cuGraphDestroy(CUgraph g) { return g == &the_graph ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }
int fake_graph_launches(void) { return the_exec.launches; }

CUresult CUDAAPI cuGetErrorName(CUresult error, const char **s) {
    switch (error) {
        case CUDA_ERROR_OUT_OF_MEMORY: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return CUDA_SUCCESS;
        case CUDA_ERROR_NOT_FOUND: *s = "CUDA_ERROR_NOT_FOUND"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_HANDLE: *s = "CUDA_ERROR_INVALID_HANDLE"; return CUDA_SUCCESS;
        default: *s = NULL; return CUDA_ERROR_INVALID_VALUE;
    }
}
CUresult CUDAAPI cuGetErrorString(CUresult error, const char **s) {
    *s = error == CUDA_ERROR_OUT_OF_MEMORY ? "out of memory" : "named symbol not found";
    return CUDA_SUCCESS;
}
