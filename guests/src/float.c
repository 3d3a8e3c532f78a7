/*
 * float: floating point through libc and libm, as a differential test: the
 * output is compared byte for byte with what the same binary prints under
 * another runner, so any difference in an emulator's FP results, rounding
 * modes or exception flags shows up.  Values are printed as hex floats
 * (exact) next to decimal.
 *
 * Usage: float        (no arguments)
 *
 * Sections: libm functions in double and single precision; arithmetic and
 * rint/lrint under each of the four C rounding modes; the exception flags
 * after chosen operations; printf of special values; strtod/strtof round
 * trips.  A few properties are also checked directly (round trips must be
 * exact, some results are exact); a failure prints "FAIL <check>" and the
 * exit status is 1.
 *
 * Built with -frounding-math so the compiler neither folds nor moves
 * arithmetic across fesetround.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

/* The limits as plain hex literals.  <float.h> spells them as casts from
 * long double, which -frounding-math turns into run-time conversions (in
 * whatever rounding mode is current) and, in array initializers, into
 * miscompiled data with GCC 12. */
#define DMAX  0x1.fffffffffffffp+1023
#define DMIN  0x1p-1022
#define DTRUE_MIN 0x1p-1074
#define FMAX  0x1.fffffep+127f
#define FMIN  0x1p-126f
#define FTRUE_MIN 0x1p-149f

static void check(int ok, const char *what)
{
    if (!ok) {
        printf("FAIL %s\n", what);
        failures++;
    }
}

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Operands pass through volatile variables so every operation happens at
 * run time, in the rounding mode current at that moment. */
static volatile double vd;
static volatile float vf;
static double D(double x) { vd = x; return vd; }
static float Fl(float x) { vf = x; return vf; }

/* ---- libm ------------------------------------------------------------- */

struct fn1 {
    const char *name;
    double (*f)(double);
};

static const struct fn1 funcs1[] = {
    {"sqrt", sqrt},   {"cbrt", cbrt},   {"exp", exp},     {"expm1", expm1},
    {"exp2", exp2},   {"log", log},     {"log1p", log1p}, {"log2", log2},
    {"log10", log10}, {"sin", sin},     {"cos", cos},     {"tan", tan},
    {"asin", asin},   {"acos", acos},   {"atan", atan},   {"sinh", sinh},
    {"cosh", cosh},   {"tanh", tanh},   {"asinh", asinh}, {"atanh", atanh},
    {"erf", erf},     {"erfc", erfc},   {"tgamma", tgamma}, {"lgamma", lgamma},
};

static const double args1[] = {0.5, 1.0, 2.0, 0.1, -3.75, 100.0, 1e-300,
                               1e22, 710.0};

static void libm_double(void)
{
    printf("== libm double\n");
    for (size_t i = 0; i < sizeof funcs1 / sizeof funcs1[0]; i++)
        for (size_t j = 0; j < sizeof args1 / sizeof args1[0]; j++) {
            double r = funcs1[i].f(D(args1[j]));
            printf("%s(%a) = %a %.17g\n", funcs1[i].name, args1[j], r, r);
        }

    static const double xy[][2] = {{2, 0.5},   {-8, 1.0 / 3}, {0, -1},
                                   {10, 308},  {10, 309},     {-2, 3},
                                   {1.5, -1074}, {0.1, 0.1},  {-0.0, -3}};
    for (size_t i = 0; i < sizeof xy / sizeof xy[0]; i++) {
        double x = D(xy[i][0]), y = D(xy[i][1]);
        printf("pow(%a, %a) = %a\n", x, y, pow(x, y));
        printf("atan2(%a, %a) = %a\n", x, y, atan2(x, y));
        printf("hypot(%a, %a) = %a\n", x, y, hypot(x, y));
        printf("fmod(%a, %a) = %a\n", x, y, fmod(x, y));
        printf("remainder(%a, %a) = %a\n", x, y, remainder(x, y));
        printf("fmin(%a, %a) = %a fmax = %a\n", x, y, fmin(x, y), fmax(x, y));
        printf("nextafter(%a, %a) = %a\n", x, y, nextafter(x, y));
    }
    printf("fmin(nan, 1) = %a fmax(1, nan) = %a\n", fmin(D(NAN), D(1)),
           fmax(D(1), D(NAN)));
    printf("copysign(3, -0.0) = %a\n", copysign(D(3), D(-0.0)));

    /* fma rounds once: 0.1*10 - 1 is the rounding error of 0.1, not 0. */
    double f = fma(D(0.1), D(10), D(-1));
    printf("fma(0.1, 10, -1) = %a\n", f);
    check(f == 0x1p-54, "fma single rounding");
    check(D(0.1) * D(10) - D(1) == 0, "unfused 0.1*10-1");
    printf("fma(DBL_MAX, 2, -DBL_MAX) = %a\n", fma(D(DMAX), D(2), D(-DMAX)));

    int e;
    double m = frexp(D(48.0), &e);
    double ip, fp = modf(D(-3.75), &ip);
    printf("frexp(48) = %a * 2^%d, ldexp(1, -1074) = %a, modf(-3.75) = %a + %a\n",
           m, e, ldexp(D(1), -1074), ip, fp);
    check(sqrt(D(4)) == 2 && sqrt(D(2)) * sqrt(D(2)) != 2, "sqrt exactness");
}

static void libm_float(void)
{
    printf("== libm float\n");
    static const float args[] = {0.5f, 2.0f, 0.1f, -3.75f, 100.0f, 1e-40f, 89.0f};
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
        float x = Fl(args[i]);
        printf("x=%a sqrtf=%a sinf=%a cosf=%a expf=%a logf=%a powf(x,1.5)=%a "
               "fmaf(x,x,-1)=%a\n",
               (double)x, (double)sqrtf(x), (double)sinf(x), (double)cosf(x),
               (double)expf(x), (double)logf(x), (double)powf(x, Fl(1.5f)),
               (double)fmaf(x, x, Fl(-1.0f)));
    }
    float third = Fl(1.0f) / Fl(3.0f);
    printf("1.0f/3.0f = %a bits=%08" PRIx32 "\n", (double)third, fbits(third));
}

/* ---- rounding modes --------------------------------------------------- */

static const struct {
    int mode;
    const char *name;
} modes[] = {
    {FE_TONEAREST, "FE_TONEAREST"},
    {FE_UPWARD, "FE_UPWARD"},
    {FE_DOWNWARD, "FE_DOWNWARD"},
    {FE_TOWARDZERO, "FE_TOWARDZERO"},
};

static void rounding_modes(void)
{
    static const double xs[] = {2.5, -2.5, 3.5, 0.5, -0.5, 1.4999999999999998,
                                -7.000000000000001, 4503599627370495.5};
    printf("== rounding modes\n");
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        if (fesetround(modes[m].mode) != 0) {
            printf("FAIL fesetround %s\n", modes[m].name);
            failures++;
            continue;
        }
        check(fegetround() == modes[m].mode, "fegetround");
        printf("%s:\n", modes[m].name);
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
            double x = D(xs[i]);
            printf("  x=%a rint=%a nearbyint=%a lrint=%ld llrint=%lld\n", x,
                   rint(x), nearbyint(x), lrint(x), llrint(x));
        }
        double third = D(1) / D(3), mthird = D(-1) / D(3);
        printf("  1/3=%a -1/3=%a sqrt(2)=%a 1+2^-53=%a\n", third, mthird,
               sqrt(D(2)), D(1) + D(0x1p-53));
        printf("  (float)(1/3)=%a (float)0.1=%a (float)-0.1=%a\n",
               (double)(float)third, (double)(float)D(0.1),
               (double)(float)D(-0.1));
        printf("  DBL_MAX*2=%a -DBL_MAX*2=%a DBL_TRUE_MIN/2=%a\n",
               D(DMAX) * D(2), -D(DMAX) * D(2), D(DTRUE_MIN) / D(2));
        printf("  (double)(INT64_MAX)=%a (float)16777217=%a\n",
               (double)(int64_t)INT64_MAX, (double)(float)(int32_t)16777217);
        printf("  printf %%.0f 0.5=%.0f 1.5=%.0f %%.2f 1.005=%.2f -1.005=%.2f\n",
               D(0.5), D(1.5), D(1.005), D(-1.005));
    }
    fesetround(FE_TONEAREST);

    /* These do not depend on the mode. */
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double x = D(xs[i]);
        printf("x=%a round=%a trunc=%a floor=%a ceil=%a lround=%ld\n", x,
               round(x), trunc(x), floor(x), ceil(x), lround(x));
    }
}

/* ---- exception flags -------------------------------------------------- */

static void print_flags(const char *what)
{
    int f = fetestexcept(FE_ALL_EXCEPT);
    printf("%-24s", what);
    if (!f)
        printf(" none");
    if (f & FE_INVALID)
        printf(" invalid");
    if (f & FE_DIVBYZERO)
        printf(" divbyzero");
    if (f & FE_OVERFLOW)
        printf(" overflow");
    if (f & FE_UNDERFLOW)
        printf(" underflow");
    if (f & FE_INEXACT)
        printf(" inexact");
    printf("\n");
}

#define FLAGS(what, expr)                                                    \
    do {                                                                     \
        feclearexcept(FE_ALL_EXCEPT);                                        \
        vd = (expr);                                                         \
        print_flags(what);                                                   \
    } while (0)

static void exceptions(void)
{
    printf("== exception flags\n");
    FLAGS("2*3", D(2) * D(3));
    FLAGS("1/3", D(1) / D(3));
    FLAGS("1/0", D(1) / D(0));
    FLAGS("0/0", D(0) / D(0));
    FLAGS("inf-inf", D(INFINITY) - D(INFINITY));
    FLAGS("0*inf", D(0) * D(INFINITY));
    FLAGS("DBL_MAX*2", D(DMAX) * D(2));
    FLAGS("DBL_MIN/3", D(DMIN) / D(3));
    FLAGS("DBL_MIN/2 (exact)", D(DMIN) / D(2));
    FLAGS("nan+1", D(NAN) + D(1));
    FLAGS("sqrt(-1)", sqrt(D(-1)));
    FLAGS("(float)1e300", (float)D(1e300));
    FLAGS("(float)1e-50", (float)D(1e-50));
    FLAGS("(float)0.5", (float)D(0.5));
    FLAGS("lrint(nan)", (double)lrint(D(NAN)));
    FLAGS("lrint(1e30)", (double)lrint(D(1e30)));
    FLAGS("(int)2.5", (double)(int)D(2.5));
    FLAGS("log(0)", log(D(0)));
    FLAGS("log(-1)", log(D(-1)));
    FLAGS("exp(1000)", exp(D(1000)));
    FLAGS("exp(-1000)", exp(D(-1000)));
    FLAGS("nan<1", (double)(D(NAN) < D(1)));
    FLAGS("nan==1", (double)(D(NAN) == D(1)));
    FLAGS("isless(nan,1)", (double)isless(D(NAN), D(1)));

    /* Raising and saving flags by hand. */
    feclearexcept(FE_ALL_EXCEPT);
    feraiseexcept(FE_OVERFLOW | FE_INEXACT);
    fexcept_t saved;
    fegetexceptflag(&saved, FE_ALL_EXCEPT);
    feclearexcept(FE_ALL_EXCEPT);
    fesetexceptflag(&saved, FE_ALL_EXCEPT);
    print_flags("feraise/fesetexceptflag");
    check(fetestexcept(FE_ALL_EXCEPT) == (FE_OVERFLOW | FE_INEXACT),
          "fesetexceptflag round trip");
    feclearexcept(FE_ALL_EXCEPT);
}

/* ---- printf of special values ----------------------------------------- */

static void special_values(void)
{
    printf("== printf\n");
    const double vals[] = {INFINITY, -INFINITY, NAN, -NAN, 0.0, -0.0,
                           DMAX, DMIN, DTRUE_MIN, 1e23, 0.1, 5e-324,
                           123456789.125, -1.5e-7};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        double v = D(vals[i]);
        printf("%%f=%f %%e=%e %%g=%g %%a=%a %%.17g=%.17g bits=%016" PRIx64 "\n",
               v, v, v, v, v, bits(v));
    }
    printf("0.1 %%.30f=%.30f\n", D(0.1));
    printf("FLT_MAX=%.9g FLT_MIN=%.9g FLT_TRUE_MIN=%a\n", (double)FMAX,
           (double)FMIN, (double)FTRUE_MIN);
    printf("%%+08.3f=%+08.3f %%-10.2e|=%-10.2e| %%#.0f=%#.0f %%G=%G\n",
           D(3.14159), D(-2.5e10), D(7.0), D(1e-10));
}

/* ---- strtod / strtof round trips -------------------------------------- */

static void round_trips(void)
{
    static const char *inputs[] = {
        "0.1", "1e23", "9007199254740993", "2.2250738585072011e-308",
        "2.2250738585072014e-308", "4.9406564584124654e-324",
        "2.4703282292062327e-324", "2.4703282292062328e-324",
        "1.7976931348623157e308", "1.7976931348623159e308", "1e-400",
        "0x1.fffffffffffffp+1023", "0x1p-1074", "-0", "inf", "-Infinity",
        "nan", "-nan", "nan(0x123)", "123456789012345678901234567890",
        "3.14159265358979323846264338327950288", "1e-5", "  42.5xyz",
        "0.000000000000000000000000000000000000000001",
    };
    printf("== strtod\n");
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char *end;
        errno = 0;
        double d = strtod(inputs[i], &end);
        int range = errno == ERANGE;
        printf("\"%s\" -> %a %.17g bits=%016" PRIx64 "%s rest=\"%s\"\n",
               inputs[i], d, d, bits(d), range ? " ERANGE" : "", end);

        /* %.17g and %a both round-trip every double exactly. */
        char buf[64];
        if (!isnan(d)) {
            snprintf(buf, sizeof buf, "%.17g", d);
            check(bits(strtod(buf, NULL)) == bits(d), "strtod(%.17g) round trip");
            snprintf(buf, sizeof buf, "%a", d);
            check(bits(strtod(buf, NULL)) == bits(d), "strtod(%a) round trip");
        }

        errno = 0;
        float f = strtof(inputs[i], NULL);
        range = errno == ERANGE;
        printf("  strtof -> %a %.9g bits=%08" PRIx32 "%s\n", (double)f,
               (double)f, fbits(f), range ? " ERANGE" : "");
        if (!isnan(f)) {
            snprintf(buf, sizeof buf, "%.9g", (double)f);
            check(fbits(strtof(buf, NULL)) == fbits(f), "strtof(%.9g) round trip");
        }
    }

    /* Every value along a pseudo-random walk through the bit patterns. */
    uint64_t x = 0x0123456789abcdefULL, hash = 0;
    int checked = 0;
    for (int i = 0; i < 2000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        double d;
        memcpy(&d, &x, sizeof d);
        if (isnan(d))
            continue;
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", d);
        double back = strtod(buf, NULL);
        check(bits(back) == bits(d), "random round trip");
        for (const char *p = buf; *p; p++)
            hash = hash * 131 + (unsigned char)*p;
        checked++;
    }
    printf("random round trips: %d checked, text hash %016" PRIx64 "\n",
           checked, hash);
}

/* ---- integer conversions ------------------------------------------------ */

static void conversions(void)
{
    printf("== conversions\n");
    printf("(double)INT64_MIN=%a (double)UINT64_MAX=%a\n",
           (double)(int64_t)INT64_MIN, (double)(uint64_t)UINT64_MAX);
    printf("(int64_t)-1e18=%" PRId64 " (uint64_t)1e19=%" PRIu64
           " (int32_t)-2147483648.0=%" PRId32 " (uint32_t)4294967295.0=%" PRIu32 "\n",
           (int64_t)D(-1e18), (uint64_t)D(1e19), (int32_t)D(-2147483648.0),
           (uint32_t)D(4294967295.0));
    printf("(float)DBL_MIN=%a (double)(float)0.1=%.17g\n",
           (double)(float)D(DMIN), (double)(float)D(0.1));
    long double q = sqrtl((long double)D(2));
    printf("sqrtl(2)=%La\n", q);
}

int main(void)
{
    libm_double();
    libm_float();
    rounding_modes();
    exceptions();
    special_values();
    round_trips();
    conversions();
    if (failures) {
        printf("float: %d check(s) failed\n", failures);
        return 1;
    }
    printf("float: done\n");
    return 0;
}
