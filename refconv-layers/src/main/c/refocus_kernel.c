/*
 * The refocusing transform of RefConv for dense convs with 3x3 kernels, fused: Wt = Wb * Wr (+ Wb) forward and
 * dWr = Wb (x) dWt backward, where each of the n2d 3x3 kernels of Wb is convolved (padding 1) with its own 3x3
 * refocusing kernel (groups G = n2d). libtorch computes this as a depthwise convolution of a 1 x n2d x 3 x 3 image:
 * oneDNN reorders every operand into its blocked layout and back (six reorders per layer and step), and autograd adds
 * the identity and keeps both tensors alive; here each tensor is read or written once, in its own layout.
 *
 * Layout: Wb, Wr, Wt and their gradients are [n2d][9] floats, contiguous (torch's [Cout, Cin/g, 3, 3] and
 * [n2d, 1, 3, 3]). The vector path takes 16 kernels at a time (144 floats = 9 AVX-512 vectors). In that layout
 * the basis value a tap needs sits at a constant offset from the output position (a shifted load, masked where the
 * tap falls outside the 3x3 kernel), and the refocusing value is a per-kernel broadcast (one lane permutation from
 * a two-vector window). Backward is the same with the roles swapped: dWr[c][u][v] = sum over i, j of
 * dWt[c][i][j] * Wb[c][i+u-1][j+v-1], and Wb's index is again output position + i*3 + j - 4.
 *
 * Called through JNI by org.refconv.engine.RefocusKernel with raw data pointers; no libtorch headers are needed.
 */
#include <jni.h>
#include <pthread.h>
#include <stdint.h>

#define TILE 16          /* kernels per vector tile */
#define TILE_FLOATS 144  /* TILE * 9 */

/* Scalar form of both directions: the reference for the tails of the vector path and for CPUs without AVX-512. */
static void forward_scalar(const float *wb, const float *wr, float *wt, int64_t from, int64_t to, int identity) {
    for (int64_t c = from; c < to; c++) {
        const float *b = wb + c * 9, *r = wr + c * 9;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                float acc = identity ? b[i * 3 + j] : 0.f;
                for (int u = 0; u < 3; u++) {
                    int ii = i + u - 1;
                    if (ii < 0 || ii > 2) continue;
                    for (int v = 0; v < 3; v++) {
                        int jj = j + v - 1;
                        if (jj < 0 || jj > 2) continue;
                        acc += r[u * 3 + v] * b[ii * 3 + jj];
                    }
                }
                wt[c * 9 + i * 3 + j] = acc;
            }
        }
    }
}

static void backward_scalar(const float *wb, const float *gt, float *gr, int64_t from, int64_t to, int accumulate) {
    for (int64_t c = from; c < to; c++) {
        const float *b = wb + c * 9, *g = gt + c * 9;
        for (int u = 0; u < 3; u++) {
            for (int v = 0; v < 3; v++) {
                float acc = 0.f;
                for (int i = 0; i < 3; i++) {
                    int ii = i + u - 1;
                    if (ii < 0 || ii > 2) continue;
                    for (int j = 0; j < 3; j++) {
                        int jj = j + v - 1;
                        if (jj < 0 || jj > 2) continue;
                        acc += g[i * 3 + j] * b[ii * 3 + jj];
                    }
                }
                float *d = gr + c * 9 + u * 3 + v;
                *d = accumulate ? *d + acc : acc;
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

/*
 * Per vector m of a tile (lanes q = 16m .. 16m+15): WINDOW[m] is the first float of the kernel that lane 0 belongs
 * to; the lanes' kernels span at most 27 floats from there, read as one full and one masked vector (HIGH_MASK).
 * For tap t: MASK[m][t] has the lanes whose tap stays inside the 3x3 kernel, INDEX[m][t] the window position of
 * the lane's kernel start + t.
 */
static int32_t WINDOW[9];
static uint16_t HIGH_MASK[9];
static uint16_t FORWARD_MASK[9][9], BACKWARD_MASK[9][9];
static int32_t INDEX[9][9][16];

static void init_tables(void) {
    for (int m = 0; m < 9; m++) {
        int window = 9 * ((TILE * m) / 9), last = 0;
        WINDOW[m] = window;
        for (int l = 0; l < TILE; l++) {
            int q = TILE * m + l, start = 9 * (q / 9) - window, pos = q % 9, i = pos / 3, j = pos % 3;
            for (int t = 0; t < 9; t++) {
                int u = t / 3, v = t % 3;
                /* forward: lane is output position (i, j), t the refocusing tap (u, v): basis at (i+u-1, j+v-1) */
                if (i + u - 1 >= 0 && i + u - 1 < 3 && j + v - 1 >= 0 && j + v - 1 < 3) {
                    FORWARD_MASK[m][t] |= (uint16_t) (1u << l);
                }
                /* backward: lane is the tap (i, j), t the output position (u, v): basis at (u+i-1, v+j-1) */
                if (u + i - 1 >= 0 && u + i - 1 < 3 && v + j - 1 >= 0 && v + j - 1 < 3) {
                    BACKWARD_MASK[m][t] |= (uint16_t) (1u << l);
                }
                INDEX[m][t][l] = start + t;
                if (start + t > last) last = start + t;
            }
        }
        int high = last + 1 - TILE;
        HIGH_MASK[m] = high <= 0 ? 0 : (uint16_t) ((1u << high) - 1);
    }
}

__attribute__((target("avx512f")))
static void forward_avx512(const float *wb, const float *wr, float *wt, int64_t fromTile, int64_t toTile,
                           int identity) {
    for (int64_t tile = fromTile; tile < toTile; tile++) {
        const float *b = wb + tile * TILE_FLOATS, *r = wr + tile * TILE_FLOATS;
        float *o = wt + tile * TILE_FLOATS;
        for (int m = 0; m < 9; m++) {
            __m512 rLow = _mm512_loadu_ps(r + WINDOW[m]);
            __m512 rHigh = _mm512_maskz_loadu_ps(HIGH_MASK[m], r + WINDOW[m] + TILE);
            __m512 acc = identity ? _mm512_loadu_ps(b + TILE * m) : _mm512_setzero_ps();
            for (int t = 0; t < 9; t++) {
                __mmask16 k = FORWARD_MASK[m][t];
                int shift = (t / 3 - 1) * 3 + (t % 3 - 1);
                /* masked-off lanes are not read, so the shift never touches memory outside the tensor */
                __m512 basis = _mm512_maskz_loadu_ps(k, b + TILE * m + shift);
                __m512 refocus = _mm512_permutex2var_ps(rLow, _mm512_loadu_si512(INDEX[m][t]), rHigh);
                acc = _mm512_mask3_fmadd_ps(refocus, basis, acc, k);
            }
            _mm512_storeu_ps(o + TILE * m, acc);
        }
    }
}

__attribute__((target("avx512f")))
static void backward_avx512(const float *wb, const float *gt, float *gr, int64_t fromTile, int64_t toTile,
                            int accumulate) {
    for (int64_t tile = fromTile; tile < toTile; tile++) {
        const float *b = wb + tile * TILE_FLOATS, *g = gt + tile * TILE_FLOATS;
        float *o = gr + tile * TILE_FLOATS;
        for (int m = 0; m < 9; m++) {
            __m512 gLow = _mm512_loadu_ps(g + WINDOW[m]);
            __m512 gHigh = _mm512_maskz_loadu_ps(HIGH_MASK[m], g + WINDOW[m] + TILE);
            __m512 acc = accumulate ? _mm512_loadu_ps(o + TILE * m) : _mm512_setzero_ps();
            for (int t = 0; t < 9; t++) {
                __mmask16 k = BACKWARD_MASK[m][t];
                __m512 grad = _mm512_permutex2var_ps(gLow, _mm512_loadu_si512(INDEX[m][t]), gHigh);
                __m512 basis = _mm512_maskz_loadu_ps(k, b + TILE * m + t - 4);
                acc = _mm512_mask3_fmadd_ps(grad, basis, acc, k);
            }
            _mm512_storeu_ps(o + TILE * m, acc);
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
    const float *in0, *in1;
    float *out;
    int64_t from, to; /* kernels */
    int flag, backward, vector;
} Part;

static void *run_part(void *arg) {
    const Part *p = (const Part *) arg;
    int64_t vectorEnd = p->from;
#if defined(__x86_64__)
    if (p->vector) {
        int64_t tiles = (p->to - p->from) / TILE;
        int64_t first = p->from / TILE;
        if (p->backward) {
            backward_avx512(p->in0, p->in1, p->out, first, first + tiles, p->flag);
        } else {
            forward_avx512(p->in0, p->in1, p->out, first, first + tiles, p->flag);
        }
        vectorEnd = p->from + tiles * TILE;
    }
#endif
    if (p->backward) {
        backward_scalar(p->in0, p->in1, p->out, vectorEnd, p->to, p->flag);
    } else {
        forward_scalar(p->in0, p->in1, p->out, vectorEnd, p->to, p->flag);
    }
    return NULL;
}

#define MAX_THREADS 64

static void run(const float *in0, const float *in1, float *out, int64_t n, int flag, int backward, int threads,
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
        parts[i] = (Part) {in0, in1, out, from, to, flag, backward, vector};
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
    run((const float *) (intptr_t) basis, (const float *) (intptr_t) refocusing, (float *) (intptr_t) out, n2d,
        identity, 0, threads, vector && has_avx512());
}

JNIEXPORT void JNICALL Java_org_refconv_engine_RefocusKernel_backward0(JNIEnv *env, jclass cls, jlong basis,
        jlong gradOut, jlong gradRefocusing, jlong n2d, jboolean accumulate, jint threads, jboolean vector) {
    (void) env;
    (void) cls;
    run((const float *) (intptr_t) basis, (const float *) (intptr_t) gradOut, (float *) (intptr_t) gradRefocusing,
        n2d, accumulate, 1, threads, vector && has_avx512());
}
