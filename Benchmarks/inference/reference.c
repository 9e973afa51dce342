/* The C reference for `tern bench predict`: the Keras MNIST MLP
 * (Flatten 784 -> Dense 128 relu -> Dense 10 softmax) on uint8 pixels
 * scaled by 1/255, with OpenBLAS (cblas_sgemv for one image, cblas_sgemm for
 * a batch), timed as Tern times itself: single-image latency (median and p99
 * over ITERATIONS calls after 1,000 warm-up calls, cycling over the first
 * 1,000 test images) and batch throughput (12 runs, the first 2 dropped,
 * median images/s). The uint8 -> float conversion is inside the timing, as in
 * Tern; buffers are allocated once, outside it. OpenBLAS threads: 1 for the
 * single image (a 784x128 sgemv is too small to split, and OpenBLAS's threads
 * only add latency, a lot of it when other processes keep the cores busy),
 * THREADS (default: nproc) for the batch.
 *
 *   cc -O2 -march=native reference.c -o reference -lopenblas -lm
 *   ./reference weights.f32 images.u8 [iterations=20000] [batch=10000] [threads=nproc]
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { IN = 784, HIDDEN = 128, OUT = 10, IMAGES = 10000 };

static float w1[IN * HIDDEN], b1[HIDDEN], w2[HIDDEN * OUT], b2[OUT];

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The same rank rule as Tern's percentile: sorted[round((n-1)·p)]. */
static double percentile(double *v, int n, double p) {
    qsort(v, n, sizeof *v, compare);
    int i = (int)((n - 1) * p + 0.5);
    return v[i < n - 1 ? i : n - 1];
}

static void read_file(const char *path, void *dst, size_t bytes) {
    FILE *f = fopen(path, "rb");
    if (!f || fread(dst, 1, bytes, f) != bytes) { fprintf(stderr, "cannot read %zu bytes from %s\n", bytes, path); exit(1); }
    fclose(f);
}

static void softmax(float *y, int n) {
    float m = y[0], s = 0;
    for (int j = 1; j < n; j++) m = y[j] > m ? y[j] : m;
    for (int j = 0; j < n; j++) { y[j] = expf(y[j] - m); s += y[j]; }
    for (int j = 0; j < n; j++) y[j] /= s;
}

/* One image: x = pixels/255, h = relu(x·W1 + b1), y = softmax(h·W2 + b2). */
static void predict1(const unsigned char *pixels, float *x, float *h, float *y) {
    const float scale = 1.0f / 255.0f;
    for (int i = 0; i < IN; i++) x[i] = pixels[i] * scale;
    memcpy(h, b1, sizeof b1);
    cblas_sgemv(CblasRowMajor, CblasTrans, IN, HIDDEN, 1.0f, w1, HIDDEN, x, 1, 1.0f, h, 1);
    for (int j = 0; j < HIDDEN; j++) h[j] = h[j] > 0 ? h[j] : 0;
    memcpy(y, b2, sizeof b2);
    cblas_sgemv(CblasRowMajor, CblasTrans, HIDDEN, OUT, 1.0f, w2, OUT, h, 1, 1.0f, y, 1);
    softmax(y, OUT);
}

/* n images at once with sgemm. */
static void predictBatch(const unsigned char *pixels, int n, float *x, float *h, float *y) {
    const float scale = 1.0f / 255.0f;
    for (long i = 0; i < (long)n * IN; i++) x[i] = pixels[i] * scale;
    for (int r = 0; r < n; r++) memcpy(h + (long)r * HIDDEN, b1, sizeof b1);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, HIDDEN, IN, 1.0f, x, IN, w1, HIDDEN, 1.0f, h, HIDDEN);
    for (long i = 0; i < (long)n * HIDDEN; i++) h[i] = h[i] > 0 ? h[i] : 0;
    for (int r = 0; r < n; r++) memcpy(y + (long)r * OUT, b2, sizeof b2);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, OUT, HIDDEN, 1.0f, h, HIDDEN, w2, OUT, 1.0f, y, OUT);
    for (int r = 0; r < n; r++) softmax(y + (long)r * OUT, OUT);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s weights.f32 images.u8 [iterations] [batch] [threads]\n", argv[0]); return 2; }
    int iterations = argc > 3 ? atoi(argv[3]) : 20000;
    int batch = argc > 4 ? atoi(argv[4]) : 10000;
    int threads = argc > 5 ? atoi(argv[5]) : openblas_get_num_procs();
    FILE *f = fopen(argv[1], "rb");
    if (!f || fread(w1, sizeof(float), IN * HIDDEN, f) != IN * HIDDEN || fread(b1, sizeof(float), HIDDEN, f) != HIDDEN
        || fread(w2, sizeof(float), HIDDEN * OUT, f) != HIDDEN * OUT || fread(b2, sizeof(float), OUT, f) != OUT) {
        fprintf(stderr, "cannot read the weights from %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    unsigned char *images = malloc((size_t)IMAGES * IN);
    read_file(argv[2], images, (size_t)IMAGES * IN);
    /* The batch: the test images tiled to `batch` rows. */
    unsigned char *tiled = malloc((size_t)batch * IN);
    for (int r = 0; r < batch; r++) memcpy(tiled + (size_t)r * IN, images + (size_t)(r % IMAGES) * IN, IN);

    float x[IN], h[HIDDEN], y[OUT], sink = 0;
    double *lat = malloc(sizeof(double) * iterations);
    openblas_set_num_threads(1);
    for (int i = 0; i < iterations + 1000; i++) {
        double t0 = now();
        predict1(images + (size_t)(i % 1000) * IN, x, h, y);
        double t1 = now();
        sink += y[0];
        if (i >= 1000) lat[i - 1000] = t1 - t0;
    }
    double med = percentile(lat, iterations, 0.5), p99 = percentile(lat, iterations, 0.99);
    printf("single image: median %.2f us, p99 %.2f us (C + OpenBLAS)\n", med * 1e6, p99 * 1e6);

    float *bx = malloc(sizeof(float) * (size_t)batch * IN), *bh = malloc(sizeof(float) * (size_t)batch * HIDDEN),
          *by = malloc(sizeof(float) * (size_t)batch * OUT);
    double rates[12];
    openblas_set_num_threads(threads);
    for (int run = 0; run < 12; run++) {
        double t0 = now();
        predictBatch(tiled, batch, bx, bh, by);
        rates[run] = batch / (now() - t0);
        sink += by[0];
    }
    printf("batch %d: median %.0f images/s (%d thread(s), C + OpenBLAS)\n", batch, percentile(rates + 2, 10, 0.5), threads);
    if (isnan(sink)) printf("(non-finite outputs)\n");
    return 0;
}
