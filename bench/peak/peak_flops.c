/*
 * Measured CPU peak for MFU: AVX-512 FMA (fp32) and VDPBF16PS (bf16 dot-product) throughput loops.
 *
 *   gcc -O3 -mavx512f -mavx512bf16 -pthread bench/peak/peak_flops.c -o bench/target/peak_flops
 *   bench/target/peak_flops [threads]
 *
 * Each thread runs 12 independent accumulator chains (enough to cover FMA latency x 2 pipes on Zen4/Intel),
 * so the loop is throughput bound. fp32: one _mm512_fmadd_ps = 16 lanes x 2 FLOP = 32 FLOP.
 * bf16: one _mm512_dpbf16_ps = 16 fp32 lanes x 2 bf16 products x 2 FLOP = 64 FLOP.
 * Best of 10 repetitions (~0.1 s each: a short quiet window is enough on a shared VM). Prints one JSON line.
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CHAINS 12
static long ITERS = 100000000L;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static volatile float sink;

static void *fp32_loop(void *arg) {
    (void)arg;
    __m512 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps(0.001f * i);
    const __m512 a = _mm512_set1_ps(0.9999999f), b = _mm512_set1_ps(1e-7f);
    for (long it = 0; it < ITERS; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    }
    __m512 s = acc[0];
    for (int i = 1; i < CHAINS; i++) s = _mm512_add_ps(s, acc[i]);
    sink = _mm512_reduce_add_ps(s);
    return NULL;
}

static void *bf16_loop(void *arg) {
    (void)arg;
    __m512 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps(0.001f * i);
    const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(1e-3f));
    const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(1e-3f));
    for (long it = 0; it < ITERS; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
    }
    __m512 s = acc[0];
    for (int i = 1; i < CHAINS; i++) s = _mm512_add_ps(s, acc[i]);
    sink = _mm512_reduce_add_ps(s);
    return NULL;
}

static double run(void *(*fn)(void *), int threads, double flop_per_instr) {
    double best = 0;
    for (int rep = 0; rep < 10; rep++) {
        pthread_t th[256];
        double t0 = now();
        for (int t = 0; t < threads; t++) pthread_create(&th[t], NULL, fn, NULL);
        for (int t = 0; t < threads; t++) pthread_join(th[t], NULL);
        double dt = now() - t0;
        double gflops = (double)threads * ITERS * CHAINS * flop_per_instr / dt / 1e9;
        if (gflops > best) best = gflops;
    }
    return best;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1 || threads > 256) threads = 1;
    double fp32_1 = run(fp32_loop, 1, 32), bf16_1 = run(bf16_loop, 1, 64);
    double fp32_n = run(fp32_loop, threads, 32), bf16_n = run(bf16_loop, threads, 64);
    printf("{\"threads\": %d, \"fp32_gflops_1t\": %.1f, \"bf16_gflops_1t\": %.1f, "
           "\"fp32_peak_gflops\": %.1f, \"bf16_peak_gflops\": %.1f}\n",
           threads, fp32_1, bf16_1, fp32_n, bf16_n);
    return 0;
}
