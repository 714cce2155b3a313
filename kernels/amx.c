/* AMX variants (tile + bf16), optional beside the AVX-512 level. */
#include "kernels/internal.h"

void mtok_ktab_fill_amx(struct mtok_ktab *t, const struct mtok_cpu *cpu)
{
    (void)t;
    (void)cpu;
}
