/* sim: hand-computed FLOPs, bytes and KV layouts; parameter counts against the official ones;
 * collective formulas; the folded decode step against the op-by-op one; properties (more
 * bandwidth is never slower, throughput never falls with batch until memory runs out); precision
 * fallbacks; calibration lookups; serving; the defaults file's diagnostics. */
#include "catalog/catalog.h"
#include "sim/sim.h"
#include "test.h"

static struct mtok_catalog *cat;
static struct mtok_sim_defaults *def;

static const struct mtok_model *M(const char *id)
{
    const struct mtok_model *m = mtok_catalog_model(cat, id);
    CHECK_MSG(m != NULL, "model %s", id);
    if (!m)
        exit(1);
    return m;
}

static const struct mtok_hw *H(const char *id)
{
    const struct mtok_hw *h = mtok_catalog_hw(cat, id);
    CHECK_MSG(h != NULL, "hw %s", id);
    if (!h)
        exit(1);
    return h;
}

static struct mtok_prec native(const struct mtok_model *m)
{
    struct mtok_prec p;
    struct mtok_error err = {0};
    CHECK(mtok_prec_resolve(m, NULL, NULL, &p, &err) == MTOK_OK);
    return p;
}

static struct mtok_plan *plan(const struct mtok_model *m, const struct mtok_hw *hw,
                              const struct mtok_prec *p, const struct mtok_deploy *dep)
{
    struct mtok_error err = {0};
    struct mtok_plan *pl = NULL;
    enum mtok_status s = mtok_plan_create(&pl, m, hw, def, NULL, p, dep, &err);
    CHECK_MSG(s == MTOK_OK, "plan %s on %s: %s", m->id, hw->id, err.msg);
    return pl;
}

/* ---- summing the ops of a step ---- */

struct sums {
    double flops, w, a, kv, t_sum, n_kernels, other;
    const char *find; /* op name to capture */
    struct mtok_op_cost found;
    int n_found;
};

static void sum_op(void *arg, const struct mtok_op_cost *c)
{
    struct sums *s = arg;
    s->flops += c->count * c->op.flops;
    s->other += c->count * c->op.other;
    s->w += c->count * c->op.w_bytes;
    s->a += c->count * c->op.a_bytes;
    s->kv += c->count * c->op.kv_bytes;
    if (c->t_latency_s > 0 && c->op.kind != MTOK_OP_COLLECTIVE)
        s->n_kernels += c->count;
    if (s->find && strcmp(c->op.name, s->find) == 0) {
        s->found = *c;
        s->n_found++;
    }
}

/* Llama-3.1-8B, one sequence, context 1000, one H100, BF16: every number below is worked out
 * by hand from the config (hidden 4096, 32 layers, 32 heads, 8 KV heads of 128, MLP 14336,
 * vocab 128256, untied LM head). */
static void test_llama8b_hand(void)
{
    const struct mtok_model *m = M("llama-3.1-8b");
    struct mtok_prec p = native(m);
    struct mtok_deploy dep = mtok_deploy_default();
    struct mtok_plan *pl = plan(m, H("h100-sxm"), &p, &dep);
    if (!pl)
        return;
    /* matmul weights per layer: q 4096x4096 + k,v 2x4096x1024 + o 4096x4096 + MLP 3x4096x14336 */
    double per_layer = 16777216.0 + 8388608.0 + 16777216.0 + 176160768.0;
    CHECK(per_layer == 218103808.0);
    double matmul = 32 * per_layer + 128256.0 * 4096; /* + LM head */
    CHECK(matmul == 7504658432.0);
    double ctx = 1000;
    /* attention: 2 x 32 heads x ctx x (128 + 128) per layer */
    double attn = 32 * 2 * 32 * ctx * 256;
    struct sums s = {0};
    mtok_plan_visit(pl, true, 1, ctx, sum_op, &s);
    CHECK_NEAR(s.flops, 2 * matmul + attn, 1e-12); /* 15,533,604,864 */
    CHECK(2 * matmul + attn == 15533604864.0);
    CHECK_NEAR(s.w, 2 * matmul, 1e-12); /* BF16 weights: 15,009,316,864 B */
    /* KV: ctx positions read + one written, K and V, 8 heads x 128 x 2 B, 32 layers */
    CHECK_NEAR(s.kv, (ctx + 1) * 2 * 8 * 128 * 2 * 32, 1e-12); /* 131,203,072 B */
    CHECK(s.a > 0 && s.a < 1e-3 * s.w);
    struct mtok_flops_split fs;
    CHECK_NEAR(mtok_sim_flops_per_token(m, def, &p, ctx, &fs), 2 * matmul + attn, 1e-12);
    CHECK_NEAR(fs.attention, attn, 1e-12);
    /* the step is memory-bound: bytes / (3.35 TB/s x 0.8) plus 3 us for each of the 161 kernels
     * (5 per layer: qkv, attention, o, up, down; plus the LM head) */
    CHECK(s.n_kernels == 161);
    double t = (s.w + s.a + s.kv) / (3.35e12 * 0.8) + 161 * 3e-6;
    CHECK_NEAR(mtok_plan_decode_step(pl, 1, ctx), t, 1e-9);
    CHECK_NEAR(mtok_plan_decode_step(pl, 1, ctx), 6.12e-3, 0.01);
    /* memory: 72 GB usable - 16.06 GB weights - 2 GB workspace - 0.537 GB activations, over
     * 2048 x 131072 B per sequence = 198 sequences */
    struct mtok_mem mem;
    mtok_plan_memory(pl, 0, &mem);
    CHECK_NEAR(mem.weights, 2 * 8030261248.0 + 0, 1e-3);
    CHECK_NEAR(mem.kv_per_seq, 2048.0 * 131072, 1e-12);
    CHECK(mem.max_batch == 198);
    mtok_plan_destroy(pl);
}

/* KV layouts to the byte. */
static void test_kv_layouts(void)
{
    const struct mtok_model *v3 = M("deepseek-v3"), *v32 = M("deepseek-v3.2");
    const struct mtok_model *pro = M("deepseek-v4-pro"), *flash = M("deepseek-v4-flash");
    struct mtok_prec p = native(v3);
    CHECK(mtok_sim_kv_slope(v3, def, &p) == 70272); /* 61 x 576 x 2 */
    CHECK(mtok_sim_kv_bytes(v3, def, &p, 1000, false) == 70272000);
    CHECK(mtok_sim_kv_bytes(v3, def, &p, 1000, true) == 71424000); /* + the MTP layer */
    struct mtok_error err;
    CHECK(mtok_prec_resolve(v3, NULL, "fp8", &p, &err) == MTOK_OK);
    CHECK(mtok_sim_kv_slope(v3, def, &p) == 61 * 656);
    p = native(v32);
    CHECK(mtok_sim_kv_slope(v32, def, &p) == 61 * (656 + 132)); /* 48,068 */
    p = native(pro);
    /* 30 CSA x (584 + 68) / 4 + 31 HCA x 584 / 128 */
    CHECK(mtok_sim_kv_slope(pro, def, &p) == 30 * 652 / 4.0 + 31 * 584 / 128.0);
    CHECK_NEAR(mtok_sim_kv_slope(pro, def, &p), 5031, 0.001);
    double fixed = mtok_sim_kv_bytes(pro, def, &p, 1 << 20, false) - (1 << 20) * 5031.4375;
    CHECK(fixed > 61 * 128 * 584 && fixed < 20e6); /* windows + compressor tails, per request */
    p = native(flash);
    CHECK(mtok_sim_kv_slope(flash, def, &p) == 21 * 652 / 4.0 + 20 * 584 / 128.0);
    CHECK_NEAR(mtok_sim_kv_slope(flash, def, &p), 3514, 0.001);
    CHECK(mtok_prec_resolve(pro, NULL, "bf16", &p, &err) == MTOK_OK);
    CHECK(mtok_sim_kv_slope(pro, def, &p) == 30 * (1024 + 68) / 4.0 + 31 * 1024 / 128.0);
    /* bounded caches: sliding windows and recurrent states do not grow */
    const struct mtok_model *oss = M("gpt-oss-120b"), *q35 = M("qwen3.5-397b-a17b");
    p = native(oss);
    CHECK(mtok_sim_kv_slope(oss, def, &p) == 18 * 2 * 8 * 64 * 2); /* full layers only */
    CHECK(mtok_sim_kv_bytes(oss, def, &p, 100000, false) ==
          100000.0 * 18 * 2048 + 128.0 * 18 * 2048);
    p = native(q35);
    double a = mtok_sim_kv_bytes(q35, def, &p, 1000, false);
    double b = mtok_sim_kv_bytes(q35, def, &p, 2000, false);
    CHECK(b - a == 1000.0 * 15 * 2 * 2 * 256 * 2); /* only the 15 full-attention layers grow */
    /* GDN state: 64 value heads x 128 x 128 x f32 per layer, 45 layers */
    CHECK(a - 1000.0 * 15 * 2048 > 45 * 64 * 128 * 128 * 4.0);
}

/* Parameter totals within 3% of the official count for every catalog model; active counts within
 * 3% under at least one of the conventions vendors use (see the report). */
static void test_params(void)
{
    for (size_t i = 0; i < mtok_catalog_model_count(cat); i++) {
        const struct mtok_model *m = mtok_catalog_model_at(cat, i);
        struct mtok_params p;
        mtok_sim_params(m, &p);
        CHECK_MSG(fabs(p.total / m->official_total - 1) <= 0.03, "%s total %.4g vs %.4g", m->id,
                  p.total, m->official_total);
        double emb = (double)m->vocab * m->hidden;
        double conv[3] = {p.active_with_embedding, p.active, p.active_with_embedding - 2 * emb};
        double best = 1e9;
        for (int k = 0; k < 3; k++)
            best = fmin(best, fabs(conv[k] / m->official_active - 1));
        CHECK_MSG(best <= 0.03, "%s active %.4g vs %.4g", m->id, p.active, m->official_active);
        CHECK(p.active <= p.total);
    }
    /* the V4 report's own counts (1.6T/49B, 284B/13B) under the lookup convention */
    struct mtok_params p;
    mtok_sim_params(M("deepseek-v4-pro"), &p);
    CHECK_NEAR(p.active, 49e9, 0.01);
    mtok_sim_params(M("deepseek-v4-flash"), &p);
    CHECK_NEAR(p.total, 284e9, 0.01);
    CHECK_NEAR(p.active, 13e9, 0.03);
    /* checkpoint sizes: FP4 experts + FP8 rest (published downloads 865 GB and 160 GB) */
    const struct mtok_model *pro = M("deepseek-v4-pro"), *flash = M("deepseek-v4-flash");
    struct mtok_prec pp = native(pro);
    CHECK_NEAR(mtok_sim_weight_bytes(pro, &pp, true), 865e9, 0.01);
    pp = native(flash);
    CHECK_NEAR(mtok_sim_weight_bytes(flash, &pp, true), 160e9, 0.01);
    /* --wprec overrides: int4 = 4.5 bits per weight with its scales, small tensors stay BF16 */
    struct mtok_params fp;
    mtok_sim_params(flash, &fp);
    struct mtok_error err;
    CHECK(mtok_prec_resolve(flash, "int4", NULL, &pp, &err) == MTOK_OK);
    double want = (fp.total - fp.by_class[MTOK_W_SMALL]) * 4.5 / 8 + fp.by_class[MTOK_W_SMALL] * 2;
    CHECK_NEAR(mtok_sim_weight_bytes(flash, &pp, false), want, 1e-12);
    CHECK(mtok_prec_resolve(flash, "nvfp4/bf16", NULL, &pp, &err) == MTOK_OK);
    CHECK(pp.w[MTOK_W_EXPERT] == MTOK_NVFP4 && pp.w[MTOK_W_ATTN] == MTOK_BF16 &&
          pp.w[MTOK_W_EMBED] == flash->wprec_embed);
    CHECK(mtok_prec_resolve(flash, "fp3", NULL, &pp, &err) == MTOK_EINVAL &&
          strstr(err.msg, "--wprec"));
    CHECK(mtok_prec_resolve(flash, NULL, "int8", &pp, &err) == MTOK_EINVAL &&
          strstr(err.msg, "--kvprec"));
}

/* The FLOPs ratios behind the V4 report's claims, counted as one FP8-equivalent FLOP each. */
static void test_flops_v4(void)
{
    const struct mtok_model *pro = M("deepseek-v4-pro"), *flash = M("deepseek-v4-flash"),
                            *v32 = M("deepseek-v3.2");
    struct mtok_prec a = native(pro), b = native(v32), c = native(flash);
    double ctx = 1 << 20;
    struct mtok_flops_split sv;
    double fv = mtok_sim_flops_per_token(v32, def, &b, ctx, &sv);
    /* V3.2's indexer: 64 heads x 128 dims x every cached token x 61 layers */
    CHECK(sv.indexer == 2.0 * 64 * 128 * ctx * 61);
    /* its sparse MLA: 128 heads x 2048 selected x (576 + 512) x 61 layers */
    CHECK(sv.attention == 2.0 * 128 * 2048 * (576 + 512) * 61);
    struct mtok_flops_split sp;
    double fp = mtok_sim_flops_per_token(pro, def, &a, ctx, &sp);
    CHECK(sp.indexer == 2.0 * 64 * 128 * (ctx / 4) * 30);
    CHECK(sp.attention == 2.0 * 128 * 1024 * ((1024 + 128) * 30 + (ctx / 128 + 128) * 31));
    CHECK(sp.fp4 == sp.indexer);
    double ff = mtok_sim_flops_per_token(flash, def, &c, ctx, NULL);
    CHECK(fp / fv > 0.22 && fp / fv < 0.32);
    CHECK(ff / fv > 0.07 && ff / fv < 0.13);
    CHECK(mtok_sim_kv_bytes(pro, def, &a, ctx, false) / mtok_sim_kv_bytes(v32, def, &b, ctx, false) > 0.09);
}

/* ---- collectives ---- */

static void test_collectives(void)
{
    /* the shared formulas: bytes each device sends */
    struct mtok_op o = mtok_op_collective("x", MTOK_COLL_ALLREDUCE, 1000, 8);
    CHECK(o.comm_bytes == 1750);
    o = mtok_op_collective("x", MTOK_COLL_ALLTOALL, 1000, 8);
    CHECK(o.comm_bytes == 875);
    o = mtok_op_collective("x", MTOK_COLL_ALLGATHER, 1000, 4);
    CHECK(o.comm_bytes == 750);
    o = mtok_op_collective("x", MTOK_COLL_SENDRECV, 1000, 2);
    CHECK(o.comm_bytes == 1000);
    o = mtok_op_collective("x", MTOK_COLL_ALLREDUCE, 1000, 1);
    CHECK(o.comm_bytes == 0);

    /* TP all-reduce inside an 8-GPU NVLink domain: alpha + 2(g-1)/g S / (bw u) */
    const struct mtok_model *m = M("llama-3.1-70b");
    const struct mtok_hw *h100 = H("h100-sxm");
    struct mtok_prec p = native(m);
    struct mtok_deploy dep = mtok_deploy_default();
    dep.tp = 8;
    struct mtok_plan *pl = plan(m, h100, &p, &dep);
    struct sums s = {.find = "attn_allreduce"};
    mtok_plan_visit(pl, true, 16, 1000, sum_op, &s);
    CHECK(s.n_found == 1);
    double S = 16 * 8192 * 2.0;
    CHECK(s.found.op.m == S);
    CHECK_NEAR(s.found.t_s, 5e-6 + 2 * 7.0 / 8 * S / (450e9 * 0.8), 1e-12);
    mtok_plan_destroy(pl);

    /* EP all-to-all over 16 H100s spans two NVLink domains: each device sends (g-1)/g of its
     * message, (D-1)/g over NVLink and (g-D)/g over the 50 GB/s NIC; the slower part decides */
    const struct mtok_model *r1 = M("deepseek-r1");
    p = native(r1);
    dep = mtok_deploy_default();
    dep.dp = 16, dep.ep = 16;
    pl = plan(r1, h100, &p, &dep);
    s = (struct sums){.find = "ep_dispatch"};
    mtok_plan_visit(pl, true, 256, 1000, sum_op, &s);
    CHECK(s.n_found == 1);
    /* FP8 dispatch: 256 tokens / 16 devices, 8 copies each, 7168 x (1 + 4/128) bytes */
    double msg = 256.0 / 16 * 8 * 7168 * (1 + 4.0 / 128);
    CHECK_NEAR(s.found.op.m, msg, 1e-12);
    double t_up = msg * 7 / 16 / (450e9 * 0.8), t_out = msg * 8 / 16 / (50e9 * 0.8);
    CHECK_NEAR(s.found.t_s, 10e-6 + fmax(t_up, t_out), 1e-12);
    s = (struct sums){.find = "ep_combine"};
    mtok_plan_visit(pl, true, 256, 1000, sum_op, &s);
    CHECK_NEAR(s.found.op.m, 256.0 / 16 * 8 * 7168 * 2, 1e-12); /* BF16 combine */
    mtok_plan_destroy(pl);

    /* a group bigger than the domain with no scale-out figure cannot be built */
    struct mtok_error err = {0};
    dep = mtok_deploy_default();
    dep.dp = 16, dep.ep = 16;
    struct mtok_plan *bad = NULL;
    p = native(r1);
    CHECK(mtok_plan_create(&bad, r1, H("mi300x"), def, NULL, &p, &dep, &err) == MTOK_EUNSUPPORTED);
    CHECK(bad == NULL && strstr(err.msg, "--ep") && strstr(err.msg, "scale-out"));
    dep.dp = 3, dep.ep = 2;
    CHECK(mtok_plan_create(&bad, r1, h100, def, NULL, &p, &dep, &err) == MTOK_EINVAL &&
          strstr(err.msg, "--ep"));
}

/* ---- folded decode step == op-by-op, everywhere ---- */

static void test_fast_equals_slow(void)
{
    static const struct {
        int tp, ep, dp, pp, mtp;
    } deps[] = {{1, 1, 1, 1, 0}, {8, 1, 1, 1, 0}, {1, 8, 8, 1, 0}, {2, 4, 4, 1, 1},
                {4, 1, 1, 2, 0}, {8, 8, 1, 1, 2}};
    const char *hws[] = {"h100-sxm", "b200", "gb200"};
    unsigned seed = 12345;
    int checked = 0;
    for (size_t i = 0; i < mtok_catalog_model_count(cat); i++) {
        const struct mtok_model *m = mtok_catalog_model_at(cat, i);
        struct mtok_prec p = native(m);
        for (size_t k = 0; k < sizeof deps / sizeof *deps; k++) {
            struct mtok_deploy dep = mtok_deploy_default();
            dep.tp = deps[k].tp, dep.ep = m->n_experts ? deps[k].ep : 1, dep.dp = deps[k].dp;
            dep.pp = deps[k].pp, dep.mtp = m->n_mtp ? deps[k].mtp : 0;
            struct mtok_plan *pl = NULL;
            struct mtok_error err;
            if (mtok_plan_create(&pl, m, H(hws[k % 3]), def, NULL, &p, &dep, &err) != MTOK_OK)
                continue; /* e.g. tp not dividing the heads: checked elsewhere */
            for (int r = 0; r < 6; r++) {
                seed = seed * 1103515245 + 12345;
                double b = 1 + (seed >> 8) % 700;
                seed = seed * 1103515245 + 12345;
                double ctx = 1 + (seed >> 4) % 300000;
                double f = mtok_plan_decode_step(pl, b, ctx);
                double s = mtok_plan_decode_step_slow(pl, b, ctx);
                CHECK_MSG(fabs(f - s) <= 1e-9 * s, "%s dep %zu b %g ctx %g: %.12g vs %.12g", m->id,
                          k, b, ctx, f, s);
                checked++;
            }
            mtok_plan_destroy(pl);
        }
    }
    CHECK(checked > 400);
    printf("fast == slow at %d points\n", checked);
}

/* ---- properties ---- */

static void test_properties(void)
{
    const char *models[] = {"deepseek-v4-pro", "deepseek-r1", "llama-3.1-70b", "gpt-oss-120b",
                            "qwen3.5-397b-a17b", "nemotron-3-super"};
    const char *hws[] = {"h100-sxm", "h200", "b200", "gb200", "mi355x"};
    for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
        const struct mtok_model *m = M(models[i]);
        struct mtok_prec p = native(m);
        for (size_t j = 0; j < sizeof hws / sizeof *hws; j++) {
            struct mtok_deploy dep = mtok_deploy_default();
            dep.tp = m->n_experts ? 1 : 8, dep.dp = m->n_experts ? 8 : 1, dep.ep = m->n_experts ? 8 : 1;
            struct mtok_hw fast = *H(hws[j]);
            struct mtok_plan *pl = plan(m, H(hws[j]), &p, &dep);
            fast.mem_bw *= 1.5;
            fast.scale_up_bw *= 1.5;
            struct mtok_plan *pf = plan(m, &fast, &p, &dep);
            if (!pl || !pf)
                continue;
            /* more bandwidth is never slower */
            for (double b = 1; b <= 4096; b *= 4)
                for (double ctx = 100; ctx <= 1e6; ctx *= 10)
                    CHECK_MSG(mtok_plan_decode_step(pf, b, ctx) <= mtok_plan_decode_step(pl, b, ctx),
                              "%s on %s b %g ctx %g", m->id, hws[j], b, ctx);
            /* throughput never falls and per-user speed never rises with batch, up to max batch */
            struct mtok_mem mem;
            mtok_plan_memory(pl, 0, &mem);
            struct mtok_serve_point prev = {0};
            int steps = 0;
            for (double b = 1; b <= mem.max_batch; b = b < 8 ? b + 1 : ceil(b * 1.37)) {
                struct mtok_serve_point pt;
                mtok_serve_point(pl, b, &pt);
                CHECK(pt.fits);
                if (steps++) {
                    CHECK_MSG(pt.tok_s_per_gpu >= prev.tok_s_per_gpu * (1 - 1e-12),
                              "%s on %s: tok/s/GPU falls from b %g to %g", m->id, hws[j],
                              prev.batch, b);
                    CHECK(pt.tok_s_per_user <= prev.tok_s_per_user * (1 + 1e-12));
                }
                prev = pt;
            }
            struct mtok_serve_point over;
            mtok_serve_point(pl, mem.max_batch + 1, &over);
            CHECK(!over.fits);
            /* longer context is never faster */
            CHECK(mtok_plan_decode_step(pl, 64, 2000) <= mtok_plan_decode_step(pl, 64, 200000));
            mtok_plan_destroy(pl);
            mtok_plan_destroy(pf);
        }
    }
}

/* ---- precision and peaks ---- */

struct peak_find {
    const char *name;
    enum mtok_dtype peak, compute;
    int n;
};

static void find_peak(void *arg, const struct mtok_op_cost *c)
{
    struct peak_find *f = arg;
    if (strcmp(c->op.name, f->name) == 0) {
        f->peak = c->peak_dtype;
        f->compute = c->op.cdtype;
        f->n++;
    }
}

static void test_precision(void)
{
    const struct mtok_model *pro = M("deepseek-v4-pro");
    struct mtok_prec p = native(pro);
    struct mtok_deploy dep = mtok_deploy_default();
    dep.dp = 8, dep.ep = 8;
    /* MXFP4 experts run FP4 x FP8 at the FP8 peak; the FP4 indexer falls back to FP8 on H100 */
    struct mtok_plan *pl = plan(pro, H("h100-sxm"), &p, &dep);
    struct peak_find f = {.name = "experts_up"};
    mtok_plan_visit(pl, true, 64, 4096, find_peak, &f);
    CHECK(f.n == 2 && f.compute == MTOK_FP8 && f.peak == MTOK_FP8);
    f = (struct peak_find){.name = "indexer"};
    mtok_plan_visit(pl, true, 64, 4096, find_peak, &f);
    CHECK(f.n == 1 && f.compute == MTOK_MXFP4 && f.peak == MTOK_FP8);
    bool noted = false;
    for (size_t i = 0; i < mtok_plan_note_count(pl); i++)
        noted = noted || (strstr(mtok_plan_note(pl, i), "no fp4 peak") != NULL);
    CHECK(noted);
    mtok_plan_destroy(pl);
    /* on B200 the same indexer runs at the FP4 peak */
    pl = plan(pro, H("b200"), &p, &dep);
    f = (struct peak_find){.name = "indexer"};
    mtok_plan_visit(pl, true, 64, 4096, find_peak, &f);
    CHECK(f.peak == MTOK_NVFP4 || f.peak == MTOK_MXFP4);
    mtok_plan_destroy(pl);
    /* INT4 weights (Kimi K2.5 experts) dequantise to BF16 */
    const struct mtok_model *k25 = M("kimi-k2.5");
    p = native(k25);
    pl = plan(k25, H("h200"), &p, &dep);
    f = (struct peak_find){.name = "experts_up"};
    mtok_plan_visit(pl, true, 64, 4096, find_peak, &f);
    CHECK(f.compute == MTOK_BF16 && f.peak == MTOK_BF16);
    mtok_plan_destroy(pl);
    /* NVFP4 W4A4 (Kimi K2.6 NVFP4) on an FP8-only part falls back to FP8 */
    const struct mtok_model *k26 = M("kimi-k2.6");
    p = native(k26);
    pl = plan(k26, H("h200"), &p, &dep);
    f = (struct peak_find){.name = "experts_down"};
    mtok_plan_visit(pl, true, 64, 4096, find_peak, &f);
    CHECK(f.compute == MTOK_NVFP4 && f.peak == MTOK_FP8);
    mtok_plan_destroy(pl);
}

/* ---- calibration ---- */

static void test_calib(void)
{
    struct mtok_calib *c = mtok_calib_create();
    struct mtok_error err = {0};
    CHECK(mtok_calib_add(c, "*", MTOK_OP_KIND_COUNT, MTOK_DTYPE_COUNT, MTOK_BOUND_MEMORY, 0, 0.8,
                         MTOK_PROV_DEFAULT, "AIC", &err) == MTOK_OK);
    CHECK(mtok_calib_add(c, "h100-sxm", MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_COMPUTE, 1e9, 0.5,
                         MTOK_PROV_MEASURED, "bench run 1", &err) == MTOK_OK);
    CHECK(mtok_calib_add(c, "h100-sxm", MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_COMPUTE, 1e11, 0.9,
                         MTOK_PROV_MEASURED, "bench run 1", &err) == MTOK_OK);
    CHECK(mtok_calib_add(c, "h100-sxm", MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_COMPUTE, 1e9, 2.0,
                         MTOK_PROV_MEASURED, "x", &err) == MTOK_EINVAL);
    struct mtok_util u = mtok_calib_lookup(c, "h100-sxm", MTOK_OP_GEMM, MTOK_BF16,
                                           MTOK_BOUND_COMPUTE, 1e10);
    CHECK_NEAR(u.u, 0.7, 1e-12); /* halfway in log(size) */
    CHECK(u.prov == MTOK_PROV_CALIBRATED);
    u = mtok_calib_lookup(c, "h100-sxm", MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_COMPUTE, 1.005e11);
    CHECK(u.u == 0.9 && u.prov == MTOK_PROV_MEASURED);
    u = mtok_calib_lookup(c, "h100-sxm", MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_COMPUTE, 1e3);
    /* below the curve: its first segment continued in log-log (slope log(0.9/0.5)/log(100)) */
    CHECK_NEAR(u.u, 0.5 * pow(1e-6, log(0.9 / 0.5) / log(100.0)), 1e-12);
    CHECK(u.prov == MTOK_PROV_CALIBRATED);
    u = mtok_calib_lookup(c, "h100-sxm", MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_COMPUTE, 1e13);
    CHECK(u.u == 0.9 && u.prov == MTOK_PROV_CALIBRATED); /* held above the curve */
    u = mtok_calib_lookup(c, "b200", MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_MEMORY, 1e6);
    CHECK(u.u == 0.8 && u.prov == MTOK_PROV_DEFAULT);
    u = mtok_calib_lookup(c, "b200", MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_COMPUTE, 1e6);
    CHECK(u.prov == MTOK_PROV_SOL && u.u == 1);
    CHECK(mtok_calib_sized(c, "h100-sxm") && !mtok_calib_sized(c, "b200"));

    /* a size-dependent table turns the fast path off; results stay equal to the op-by-op ones and
     * carry the calibrated provenance */
    for (size_t i = 0; i < mtok_calib_count(def->calib); i++)
        ; /* the defaults' entries are size-independent */
    CHECK(!mtok_calib_sized(def->calib, "h100-sxm"));
    const struct mtok_model *m = M("llama-3.1-8b");
    struct mtok_prec p = native(m);
    struct mtok_deploy dep = mtok_deploy_default();
    struct mtok_plan *pl = NULL;
    CHECK(mtok_plan_create(&pl, m, H("h100-sxm"), def, c, &p, &dep, &err) == MTOK_OK);
    if (pl) {
        CHECK(mtok_plan_decode_step(pl, 300, 1000) == mtok_plan_decode_step_slow(pl, 300, 1000));
        struct mtok_serve_point pt;
        mtok_serve_point(pl, 8, &pt);
        /* an op carries the provenance of the roof that bounds it: decode is memory-bound here,
         * and the table's one memory entry is a default (the compute curve does not bind) */
        CHECK(pt.prov == MTOK_PROV_DEFAULT);
    }
    mtok_plan_destroy(pl);
    /* pure roofline */
    dep.sol = true;
    pl = plan(m, H("h100-sxm"), &p, &dep);
    struct sums s = {0};
    mtok_plan_visit(pl, true, 1, 1000, sum_op, &s);
    CHECK_NEAR(mtok_plan_decode_step(pl, 1, 1000), (s.w + s.a + s.kv) / 3.35e12, 1e-9);
    CHECK(mtok_plan_prov(pl) == MTOK_PROV_SOL);
    mtok_plan_destroy(pl);
    mtok_calib_destroy(c);
}

/* ---- serving ---- */

static void test_serving(void)
{
    const struct mtok_model *m = M("deepseek-r1");
    struct mtok_prec p = native(m);
    struct mtok_deploy dep = mtok_deploy_default();
    dep.dp = 8, dep.ep = 8, dep.isl = 1000, dep.osl = 1000;
    struct mtok_plan *pl = plan(m, H("h200"), &p, &dep);
    /* --tps-user: the biggest batch meeting the target, and the best throughput among those */
    struct mtok_serve_point best;
    CHECK(mtok_serve_for_tps_user(pl, 30, &best) == MTOK_OK);
    CHECK(best.tok_s_per_user >= 30 && best.fits);
    struct mtok_serve_point next;
    mtok_serve_point(pl, best.batch + 1, &next);
    CHECK(next.tok_s_per_user < 30 || !next.fits);
    CHECK(mtok_serve_for_tps_user(pl, 1e6, &best) == MTOK_ENOTFOUND);
    /* Pareto front: rising tok/s/user, falling tok/s/GPU */
    struct mtok_serve_point front[64];
    size_t n = mtok_serve_pareto(pl, front, 64);
    CHECK(n >= 5);
    for (size_t i = 1; i < n; i++)
        CHECK(front[i].tok_s_per_user >= front[i - 1].tok_s_per_user &&
              front[i].tok_s_per_gpu <= front[i - 1].tok_s_per_gpu);
    /* aggregated accounting: input/output split by isl:osl, total = sum */
    struct mtok_serve_point pt;
    mtok_serve_point(pl, 256, &pt);
    CHECK_NEAR(pt.tok_s_per_gpu, pt.input_tok_s_per_gpu + pt.output_tok_s_per_gpu, 1e-12);
    CHECK_NEAR(pt.tok_s_per_user, 1 / pt.tpot_s, 1e-12);
    CHECK(pt.tpot_s > pt.decode_step_s); /* chunked prefill interferes */
    CHECK(pt.prefill_time_share > 0 && pt.prefill_time_share < 1);
    CHECK_NEAR(pt.tpot_s * (1 - pt.prefill_time_share), pt.decode_step_s, 1e-12);
    mtok_plan_destroy(pl);
    /* prefix-cache hits skip prefill compute */
    dep.cache_hit = 0.75;
    pl = plan(m, H("h200"), &p, &dep);
    struct mtok_serve_point hit;
    mtok_serve_point(pl, 256, &hit);
    CHECK(hit.prefill_s_per_request < 0.5 * pt.prefill_s_per_request);
    CHECK(hit.tok_s_per_gpu > pt.tok_s_per_gpu && hit.ttft_s < pt.ttft_s);
    mtok_plan_destroy(pl);
    dep.cache_hit = 0;

    /* MTP: accepted drafts make a user faster at the same batch */
    dep.mtp = 1;
    dep.mtp_accept = 0.9;
    pl = plan(m, H("h200"), &p, &dep);
    struct mtok_serve_point mt;
    mtok_serve_point(pl, 64, &mt);
    CHECK_NEAR(mt.tokens_per_step, 1.9, 1e-12);
    dep.mtp = 0;
    struct mtok_plan *p0 = plan(m, H("h200"), &p, &dep);
    struct mtok_serve_point m0;
    mtok_serve_point(p0, 64, &m0);
    CHECK(mt.tok_s_per_user > m0.tok_s_per_user);
    CHECK(mt.decode_step_s > m0.decode_step_s);
    mtok_plan_destroy(pl);
    mtok_plan_destroy(p0);

    /* disaggregated: output over decode GPUs, input over prefill GPUs, total over all */
    dep = mtok_deploy_default();
    dep.dp = 8, dep.ep = 8, dep.isl = 2000, dep.osl = 500;
    dep.prefill_gpus = 16, dep.decode_gpus = 32;
    pl = plan(m, H("h100-sxm"), &p, &dep);
    mtok_serve_point(pl, 512, &pt);
    double rate = pt.output_tok_s_per_gpu * 32 / 500;
    CHECK_NEAR(pt.input_tok_s_per_gpu * 16 / 2000, rate, 1e-9);
    CHECK_NEAR(pt.tok_s_per_gpu, rate * 2500 / 48, 1e-9);
    CHECK_NEAR(pt.tpot_s, pt.decode_step_s, 1e-12); /* no prefill interference */
    CHECK(pt.prefill_time_share == 0);
    CHECK(pt.ttft_s > 0);
    mtok_plan_destroy(pl);
    dep.prefill_gpus = 12;
    struct mtok_error err;
    struct mtok_plan *bad = NULL;
    CHECK(mtok_plan_create(&bad, m, H("h100-sxm"), def, NULL, &p, &dep, &err) == MTOK_EINVAL &&
          strstr(err.msg, "--disagg"));
}

/* ---- defaults file diagnostics ---- */

static void test_defaults_diags(void)
{
    CHECK(def->usable_fraction == 0.9 && def->op_latency_s[MTOK_OP_GEMM] == 3e-6);
    CHECK(mtok_sim_usable_fraction(def, H("m4-max")) == 0.75);
    static const char bad[] =
        "{\"memory\":{\"usable_fraction\":1.5,\"workspace_bytes\":1e9,"
        "\"activation_bytes_per_token\":8,\"prefill_tokens\":8192,\"source\":\"s\","
        "\"date\":\"2026-01\",\"uncertain\":false},\"colour\":1}";
    struct mtok_diags d = {0};
    struct mtok_sim_defaults *x = NULL;
    CHECK(mtok_sim_defaults_parse(&x, "bad.json", bad, sizeof bad - 1, &d) == MTOK_EINVAL);
    CHECK(x == NULL && d.n >= 3);
    bool usable = false, colour = false, missing = false;
    for (size_t i = 0; i < d.n; i++) {
        CHECK(strncmp(d.lines[i], "bad.json: ", 10) == 0 && !strchr(d.lines[i], '\n'));
        usable = usable || strstr(d.lines[i], "memory.usable_fraction");
        colour = colour || strstr(d.lines[i], "colour");
        missing = missing || strstr(d.lines[i], "efficiency");
    }
    CHECK(usable && colour && missing);
    mtok_diags_free(&d);
}

/* Cells (mtok_cell_eval): the smallest instance that fits, the options, the envelope, the pick. */
static void test_cells(void)
{
    struct mtok_cell *c = malloc(sizeof *c);
    struct mtok_error err = {0};
    struct mtok_prec prec;
    struct mtok_cell_opts o = {.isl = 1024, .osl = 1024, .tps_user = 30, .max_gpus = 64,
                               .sizes = 2};
    /* Llama 3.1 405B in BF16 is ~811 GB: 8 H100s hold 101 GB each (> 72 GB usable), 16 hold
     * 51 GB, so the smallest instance is 16 GPUs; options TP16, TP8xPP2, TP32, TP16xPP2. */
    const struct mtok_model *m = mtok_catalog_model(cat, "llama-3.1-405b");
    const struct mtok_hw *h100 = mtok_catalog_hw(cat, "h100-sxm");
    CHECK(mtok_prec_resolve(m, NULL, NULL, &prec, &err) == MTOK_OK);
    CHECK(mtok_cell_eval(m, h100, def, NULL, &prec, &o, c, &err) == MTOK_OK);
    CHECK_MSG(c->min_gpus == 16, "min_gpus %d", c->min_gpus);
    CHECK(c->n_cand == 4 && !strcmp(c->cand[0].layout, "TP16") &&
          !strcmp(c->cand[1].layout, "TP8xPP2") && !strcmp(c->cand[2].layout, "TP32"));
    CHECK(c->pick >= 0 && c->target_met && c->pt.fits && c->pt.tok_s_per_user >= 30);
    /* the pick is the option with the most tok/s/GPU at the target */
    for (size_t i = 0; i < c->n_cand; i++)
        if (c->cand[i].fits && c->cand[i].target_met)
            CHECK(c->cand[i].at_target.tok_s_per_gpu <= c->pt.tok_s_per_gpu);
    /* the envelope: sorted by tok/s/user, tok/s/GPU never rises along it, nothing dominated */
    CHECK(c->n_front >= 3);
    for (size_t i = 1; i < c->n_front; i++) {
        CHECK(c->front[i].pt.tok_s_per_user >= c->front[i - 1].pt.tok_s_per_user);
        CHECK(c->front[i].pt.tok_s_per_gpu <= c->front[i - 1].pt.tok_s_per_gpu);
    }

    /* an MoE model gets the expert-parallel options */
    m = mtok_catalog_model(cat, "deepseek-v4-flash");
    const struct mtok_hw *b200 = mtok_catalog_hw(cat, "b200");
    CHECK(mtok_prec_resolve(m, NULL, NULL, &prec, &err) == MTOK_OK);
    CHECK(mtok_cell_eval(m, b200, def, NULL, &prec, &o, c, &err) == MTOK_OK);
    bool dep = false, tep = false;
    for (size_t i = 0; i < c->n_cand; i++) {
        dep = dep || !strncmp(c->cand[i].layout, "DEP", 3);
        tep = tep || !strncmp(c->cand[i].layout, "TEP", 3);
    }
    CHECK(dep && tep && c->pick >= 0 && c->min_gpus >= 1);

    /* an unreachable target: the fastest point, flagged */
    o.tps_user = 1e6;
    CHECK(mtok_cell_eval(m, b200, def, NULL, &prec, &o, c, &err) == MTOK_OK);
    CHECK(c->pick >= 0 && !c->target_met && c->pt.batch == 1 && c->pt.fits);
    for (size_t i = 0; i < c->n_cand; i++)
        if (c->cand[i].fits)
            CHECK(c->cand[i].fastest.tok_s_per_user <= c->pt.tok_s_per_user);
    o.tps_user = 30;

    /* V4-Pro (~850 GB) on one M3 Ultra (512 GB, no links to a second one): nothing fits */
    m = mtok_catalog_model(cat, "deepseek-v4-pro");
    CHECK(mtok_prec_resolve(m, NULL, NULL, &prec, &err) == MTOK_OK);
    CHECK(mtok_cell_eval(m, mtok_catalog_hw(cat, "m3-ultra"), def, NULL, &prec, &o, c, &err) ==
          MTOK_OK);
    CHECK(c->min_gpus == 0 && c->pick < 0 && c->n_cand == 0 && c->n_front == 0);
    CHECK_MSG(strstr(c->reason, "does not fit") != NULL, "%s", c->reason);
    /* bad options */
    o.max_gpus = 0;
    CHECK(mtok_cell_eval(m, b200, def, NULL, &prec, &o, c, &err) == MTOK_EINVAL);
    free(c);
}

int main(void)
{
    struct mtok_diags d = {0};
    if (mtok_catalog_open(&cat, NULL, &d) != MTOK_OK ||
        mtok_sim_defaults_load(&def, NULL, &d) != MTOK_OK) {
        for (size_t i = 0; i < d.n; i++)
            fprintf(stderr, "%s\n", d.lines[i]);
        return 1;
    }
    test_llama8b_hand();
    test_kv_layouts();
    test_params();
    test_flops_v4();
    test_collectives();
    test_fast_equals_slow();
    test_properties();
    test_precision();
    test_calib();
    test_serving();
    test_cells();
    test_defaults_diags();
    mtok_sim_defaults_destroy(def);
    mtok_catalog_destroy(cat);
    return test_status("test_sim");
}
