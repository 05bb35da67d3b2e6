/*
 * The refocusing transform of RefConv for dense convs with 3x3 kernels, fused: Wt = Wb * Wr (+ Wb) forward and
 * dWr = Wb (x) dWt backward, where each of the n2d 3x3 kernels of Wb is convolved (padding 1) with its own 3x3
 * refocusing kernel (groups G = n2d). libtorch computes this as a depthwise convolution of a 1 x n2d x 3 x 3 image:
 * oneDNN reorders every operand into its blocked layout and back (six reorders per layer and step), and autograd adds
 * the identity and keeps both tensors alive; here each tensor is read or written once, in its own layout.
 *
 * Both directions are one sum. For a kernel c, an output position a = (a1, a2) and a summation index s = (s1, s2):
 *   out[c][a] = init[c][a] + sum over s of P[c][s] * Wb[c][a1 + s1 - 1][a2 + s2 - 1]   (terms outside 3x3 dropped)
 * Forward: P = Wr, a = (i, j), s = the tap (u, v), init = Wb (identity) or 0.
 * Backward: P = dWt, a = the tap (u, v), s = (i, j), init = the existing dWr (accumulate) or 0.
 *
 * Layout: Wb, Wr, Wt and their gradients are [n2d][9] floats, contiguous (torch's [Cout, Cin/g, 3, 3] and
 * [n2d, 1, 3, 3]). The vector path takes 16 kernels at a time (144 floats = 9 AVX-512 vectors). In that layout the
 * basis value sits at flat position q + s - 4 for output position q (a shifted load, masked where a1 + s1 - 1 or
 * a2 + s2 - 1 leaves the kernel), and P[c][s] is a per-kernel broadcast (one lane permutation of a two-vector window).
 *
 * Called through JNI by org.refconv.engine.RefocusKernel with raw data pointers; no libtorch headers are needed.
 */
#include <jni.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define TILE 16          /* kernels per vector tile */
#define TILE_FLOATS 144  /* TILE * 9 */
#define PREFETCH_TILES 4 /* how far ahead the vector pass prefetches its two input streams */

static int inside(int a, int s) {
    return a + s - 1 >= 0 && a + s - 1 < 3;
}

/* The sum above, one kernel at a time: the tails of the vector path, and CPUs without AVX-512. */
static void pass_scalar(const float *permuted, const float *basis, const float *init, float *out, int64_t from,
                        int64_t to) {
    for (int64_t c = from; c < to; c++) {
        const float *p = permuted + c * 9, *b = basis + c * 9;
        for (int a = 0; a < 9; a++) {
            float acc = init ? init[c * 9 + a] : 0.f;
            for (int s = 0; s < 9; s++) {
                if (inside(a / 3, s / 3) && inside(a % 3, s % 3)) {
                    acc += p[s] * b[a + s - 4];
                }
            }
            out[c * 9 + a] = acc;
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

/*
 * Per vector m of a tile (lanes q = 16m .. 16m+15): WINDOW[m] is the first float of the kernel that lane 0 belongs
 * to; the lanes' kernels span at most 27 floats from there, read as one full and one masked vector (HIGH_MASK).
 * For summation index s: MASK[m][s] has the lanes whose basis term stays inside the kernel, INDEX[m][s] the window
 * position of the lane's kernel start + s.
 */
static int32_t WINDOW[9];
static uint16_t HIGH_MASK[9];
static uint16_t MASK[9][9];
static int32_t INDEX[9][9][16];

static void init_tables(void) {
    for (int m = 0; m < 9; m++) {
        int window = 9 * ((TILE * m) / 9), last = 0;
        WINDOW[m] = window;
        for (int l = 0; l < TILE; l++) {
            int q = TILE * m + l, start = 9 * (q / 9) - window, a = q % 9;
            for (int s = 0; s < 9; s++) {
                if (inside(a / 3, s / 3) && inside(a % 3, s % 3)) {
                    MASK[m][s] |= (uint16_t) (1u << l);
                }
                INDEX[m][s][l] = start + s;
                if (start + s > last) last = start + s;
            }
        }
        int high = last + 1 - TILE;
        HIGH_MASK[m] = high <= 0 ? 0 : (uint16_t) ((1u << high) - 1);
    }
}

/*
 * The sum above for whole tiles. `init` may alias `out`: each vector is read before it is written.
 * The basis is read only by masked, shifted loads, which the hardware prefetcher follows poorly, hence the explicit
 * prefetch of both input streams a few tiles ahead (its effect: docs/engine.md).
 */
__attribute__((target("avx512f")))
static void pass_avx512(const float *permuted, const float *basis, const float *init, float *out, int64_t fromTile,
                        int64_t toTile) {
    for (int64_t tile = fromTile; tile < toTile; tile++) {
        const float *p = permuted + tile * TILE_FLOATS, *b = basis + tile * TILE_FLOATS;
        if (tile + PREFETCH_TILES < toTile) {
            for (int line = 0; line < TILE_FLOATS; line += 16) { /* 16 floats: one 64-byte cache line */
                _mm_prefetch((const char *) (p + PREFETCH_TILES * TILE_FLOATS + line), _MM_HINT_T0);
                _mm_prefetch((const char *) (b + PREFETCH_TILES * TILE_FLOATS + line), _MM_HINT_T0);
            }
        }
        for (int m = 0; m < 9; m++) {
            __m512 low = _mm512_loadu_ps(p + WINDOW[m]);
            __m512 high = _mm512_maskz_loadu_ps(HIGH_MASK[m], p + WINDOW[m] + TILE);
            __m512 acc = init ? _mm512_loadu_ps(init + tile * TILE_FLOATS + TILE * m) : _mm512_setzero_ps();
            for (int s = 0; s < 9; s++) {
                __mmask16 k = MASK[m][s];
                /* masked-off lanes are not read, so the shift never touches memory outside the tensor */
                __m512 value = _mm512_maskz_loadu_ps(k, b + TILE * m + s - 4);
                __m512 factor = _mm512_permutex2var_ps(low, _mm512_loadu_si512(INDEX[m][s]), high);
                acc = _mm512_mask3_fmadd_ps(factor, value, acc, k);
            }
            _mm512_storeu_ps(out + tile * TILE_FLOATS + TILE * m, acc);
        }
    }
}

static int has_avx512(void) {
    return __builtin_cpu_supports("avx512f");
}
#else
static void init_tables(void) {
}

static int has_avx512(void) {
    return 0;
}
#endif

/* One call's work, split by kernels over threads; each thread runs whole tiles, the last one also the tail. */
typedef struct {
    const float *permuted, *basis, *init;
    float *out;
    int64_t from, to; /* kernels */
    int vector;
} Part;

static void *run_part(void *arg) {
    const Part *p = (const Part *) arg;
    int64_t vectorEnd = p->from;
#if defined(__x86_64__)
    if (p->vector) {
        int64_t tiles = (p->to - p->from) / TILE, first = p->from / TILE;
        pass_avx512(p->permuted, p->basis, p->init, p->out, first, first + tiles);
        vectorEnd = p->from + tiles * TILE;
    }
#endif
    pass_scalar(p->permuted, p->basis, p->init, p->out, vectorEnd, p->to);
    return NULL;
}

#define MAX_THREADS 64

static void run(const float *permuted, const float *basis, const float *init, float *out, int64_t n, int threads,
                int vector) {
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    int64_t tiles = n / TILE;
    if (tiles < (int64_t) threads * 4) threads = 1; /* small layers: a thread costs more than it saves */
    Part parts[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    int started = 0;
    for (int i = 0; i < threads; i++) {
        /* tile-aligned boundaries so that only the last part has a tail */
        int64_t from = tiles * i / threads * TILE, to = i == threads - 1 ? n : tiles * (i + 1) / threads * TILE;
        parts[i] = (Part) {permuted, basis, init, out, from, to, vector};
    }
    for (int i = 1; i < threads; i++) {
        if (pthread_create(&ids[i], NULL, run_part, &parts[i]) != 0) {
            break;
        }
        started = i;
    }
    for (int i = started + 1; i < threads; i++) {
        run_part(&parts[i]); /* a thread that could not be created: its share runs here */
    }
    run_part(&parts[0]);
    for (int i = 1; i <= started; i++) {
        pthread_join(ids[i], NULL);
    }
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void) vm;
    (void) reserved;
    init_tables();
    return JNI_VERSION_1_8;
}

JNIEXPORT jboolean JNICALL Java_org_refconv_engine_RefocusKernel_vectorized0(JNIEnv *env, jclass cls) {
    (void) env;
    (void) cls;
    return has_avx512() ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT void JNICALL Java_org_refconv_engine_RefocusKernel_forward0(JNIEnv *env, jclass cls, jlong basis,
        jlong refocusing, jlong out, jlong n2d, jboolean identity, jint threads, jboolean vector) {
    (void) env;
    (void) cls;
    const float *wb = (const float *) (intptr_t) basis;
    run((const float *) (intptr_t) refocusing, wb, identity ? wb : NULL, (float *) (intptr_t) out, n2d, threads,
        vector && has_avx512());
}

JNIEXPORT void JNICALL Java_org_refconv_engine_RefocusKernel_backward0(JNIEnv *env, jclass cls, jlong basis,
        jlong gradOut, jlong gradRefocusing, jlong n2d, jboolean accumulate, jint threads, jboolean vector) {
    (void) env;
    (void) cls;
    float *gr = (float *) (intptr_t) gradRefocusing;
    run((const float *) (intptr_t) gradOut, (const float *) (intptr_t) basis, accumulate ? gr : NULL, gr, n2d, threads,
        vector && has_avx512());
}
