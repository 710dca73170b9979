"""The numba kernels of :mod:`ruralsim.compiled` (imported only on the compiled path).

Module-level functions, so that numba's on-disk cache finds them again in a new process.
"""
from __future__ import annotations

import numba as _nb
import numpy as np

_jit = _nb.njit(cache=True, nogil=True)

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_LO = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S21 = np.uint64(21)
_S11 = np.uint64(11)


@_jit
def _block(c0, c1, c2, c3, k0, k1, rounds):
    """Philox4x32 on one counter (uint64 words below 2**32)."""
    for _ in range(rounds):
        p0 = c0 * _M0
        p1 = c2 * _M1
        c0, c1, c2, c3 = (((p1 >> _S32) ^ c1 ^ k0) & _LO, p1 & _LO,
                          ((p0 >> _S32) ^ c3 ^ k1) & _LO, p0 & _LO)
        k0 = (k0 + _W0) & _LO
        k1 = (k1 + _W1) & _LO
    return c0, c1, c2, c3


@_jit
def philox_words(ids, month, slot, k0, k1, rounds):
    """[4, n] output words at counters (month, id lo, id hi, slot); ``month`` and ``slot``
    are uint64 arrays of length 1 (broadcast) or n."""
    n = ids.size
    out = np.empty((4, n), dtype=np.uint64)
    mb, sb = month.size > 1, slot.size > 1
    for i in range(n):
        u = ids[i]
        w0, w1, w2, w3 = _block(month[i if mb else 0], u & _LO, u >> _S32,
                                slot[i if sb else 0], np.uint64(k0), np.uint64(k1), rounds)
        out[0, i], out[1, i], out[2, i], out[3, i] = w0, w1, w2, w3
    return out


@_jit
def philox_unit(ids, month, slot, k0, k1, rounds):
    """One double in (0, 1) per id from words 0 and 1 (53 bits), as ``rng._unit``."""
    n = ids.size
    out = np.empty(n, dtype=np.float64)
    mb, sb = month.size > 1, slot.size > 1
    for i in range(n):
        u = ids[i]
        w0, w1, _, _ = _block(month[i if mb else 0], u & _LO, u >> _S32,
                              slot[i if sb else 0], np.uint64(k0), np.uint64(k1), rounds)
        bits = (w0 << _S21) ^ (w1 >> _S11)
        out[i] = (np.float64(np.int64(bits)) + 0.5) * 1.1102230246251565e-16  # 2**-53
    return out


@_jit
def philox_packed(ids, month, k0, k1, rounds):
    """Word ``id % 4`` of the block at counter (month, id // 4) as a double in (0, 1)."""
    n = ids.size
    out = np.empty(n, dtype=np.float64)
    m = np.uint64(month)
    last = np.int64(-1)
    w = np.zeros(4, dtype=np.uint64)
    for i in range(n):
        b = ids[i] >> 2
        if b != last:
            ub = np.uint64(b)
            w[0], w[1], w[2], w[3] = _block(m, ub & _LO, ub >> _S32, np.uint64(0),
                                            np.uint64(k0), np.uint64(k1), rounds)
            last = b
        out[i] = (np.float64(np.int64(w[ids[i] & 3])) + 0.5) * 2.3283064365386963e-10
    return out


# ------------------------------------------------------------------ the hazard step


@_jit
def log_hazard(table, code, A, hv0, hslope, g0, gflow, month, msu, cap, extra, v):
    """``v`` = the log hazard of each row in float32, in numpy's order of operations
    (decisions.ActiveSet.step_rows); ``extra`` is empty or one term per row."""
    n = v.size
    has_extra = extra.size > 0
    zero = np.float32(0.0)
    for i in range(n):
        x = table[code[i]]
        x = x + A[i]
        if has_extra:   # numpy's v += extra: added in extra's precision, rounded to float32
            x = np.float32(x + extra[i])
        w = hv0[i] - hslope[i] * month
        if not (w >= zero or w != w):
            w = zero
        x = x - w
        w = g0[i] - gflow[i] * msu
        if not (w >= zero or w != w):
            w = zero
        x = x - w
        if not (x <= cap or x != x):
            x = cap
        v[i] = x


@_jit
def accumulate(cumhaz, h, thresh):
    """``cumhaz += h``; the rows whose clock reached its threshold."""
    n = h.size
    hit = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        c = cumhaz[i] + h[i]
        cumhaz[i] = c
        if c >= thresh[i]:
            hit[k] = i
            k += 1
    return hit[:k].copy()


# ------------------------------------------------------------------ savings


@_jit
def shock_argument(z, sd_t, half_var_t, htype, idx, out):
    """``out = sd[type] × z − (sd²/2)[type]``: the argument of the yearly income shock."""
    for j in range(idx.size):
        t = htype[idx[j]]
        out[j] = sd_t[t] * z[j] - half_var_t[t]


@_jit
def yearly_finances(shock, trend_t, living_t, rate_t, dividends, idx, htype, size,
                    income0, income, flow, savings):
    """The yearly update of households ``idx`` after ``shock = exp(argument)``
    (households.yearly_update): bank last year's savings, set this year's income and
    the monthly flow, each in numpy's precision and order of operations."""
    twelve = np.float32(12.0)
    zero = np.float32(0.0)
    db = dividends.size > 1
    for j in range(idx.size):
        i = idx[j]
        t = htype[i]
        s = savings[i] + twelve * flow[i]
        savings[i] = s if (s >= zero or s != s) else zero
        inc = np.float64(income0[i]) * (shock[j] * trend_t[t])
        income[i] = np.float32(inc)
        surplus = (inc + dividends[j if db else 0]) - living_t[t] * np.float64(size[i])
        f = rate_t[t] * surplus if surplus >= 0 else surplus
        flow[i] = np.float32(f / 12.0)


# ------------------------------------------------------------------ sorted key lists


@_jit
def merge_sorted(a, b):
    """The sorted union of two sorted int64 arrays (one pass, no re-sort)."""
    out = np.empty(a.size + b.size, dtype=np.int64)
    i = j = k = 0
    while i < a.size and j < b.size:
        if b[j] < a[i]:
            out[k] = b[j]
            j += 1
        else:
            out[k] = a[i]
            i += 1
        k += 1
    while i < a.size:
        out[k] = a[i]
        i += 1
        k += 1
    while j < b.size:
        out[k] = b[j]
        j += 1
        k += 1
    return out


@_jit
def drop_sorted(a, b):
    """``a`` without the entries of ``b`` (both sorted, ``b`` a subset of ``a``)."""
    out = np.empty(a.size - b.size, dtype=np.int64)
    j = k = 0
    for i in range(a.size):
        if j < b.size and a[i] == b[j]:
            j += 1
        else:
            out[k] = a[i]
            k += 1
    return out


@_jit
def drop_positions(a, pos):
    """``a`` without the entries at sorted, distinct positions ``pos``."""
    out = np.empty(a.size - pos.size, dtype=np.int64)
    j = k = 0
    for i in range(a.size):
        if j < pos.size and pos[j] == i:
            j += 1
        else:
            out[k] = a[i]
            k += 1
    return out


@_jit
def first_per_group(group, limit):
    """In the given order, True for the first ``limit[g]`` candidates of each group ``g``."""
    count = np.zeros(limit.size, dtype=np.int64)
    served = np.empty(group.size, dtype=np.bool_)
    for i in range(group.size):
        g = group[i]
        served[i] = count[g] < limit[g]
        count[g] += 1
    return served


@_jit
def tie_sums(code, shows, village, kin, bell, wb, sv_b, sv_o, sk_b, sk_o):
    """The weighted sums of what ties show, by village and kin group, bellwethers apart:
    household j's state is ``shows[code[j]]`` and its weight ``wb`` if a bellwether else 1;
    the sums in np.bincount's order (a state of 0 adds +0 and is skipped: the sums are the
    same).  The four sum arrays are overwritten."""
    sv_b[:] = 0.0
    sv_o[:] = 0.0
    sk_b[:] = 0.0
    sk_o[:] = 0.0
    for j in range(village.size):
        sj = shows[code[j]]
        if sj == 0.0:
            continue
        if bell[j]:
            w = wb * sj
            sv_b[village[j]] += w
            sk_b[kin[j]] += w
        else:
            w = 1.0 * sj
            sv_o[village[j]] += w
            sk_o[kin[j]] += w


@_jit
def tie_sums_update(code, seen, code_words, seen_words, shows, village, kin, bell, wb, sv_b,
                    sv_o, sk_b, sk_o):
    """Bring the sums of :func:`tie_sums` from the codes ``seen`` to the codes ``code``:
    each household whose code changed takes its old weight out and puts its new one in, and
    ``seen`` becomes ``code``.  Exact (the same bits as :func:`tie_sums`) only when every sum
    of weights is exact in any order (influence.Ties.exact); returns the households changed.
    ``code_words`` and ``seen_words``: the first ``8 × w`` one-byte codes as ``w`` 64-bit
    words (or empty), compared eight households at a time."""
    k = 0
    n = village.size
    nw = code_words.size
    w = 0
    j = 0
    while j < n:
        if w < nw:   # a word of eight households: skip it when no code changed
            if code_words[w] == seen_words[w]:
                w += 1
                j += 8
                continue
            end = j + 8
            w += 1
        else:
            end = n
        while j < end:
            c = code[j]
            p = seen[j]
            if c != p:
                seen[j] = c
                k += 1
                if bell[j]:
                    d = wb * shows[c] - wb * shows[p]
                    sv_b[village[j]] += d
                    sk_b[kin[j]] += d
                else:
                    d = 1.0 * shows[c] - 1.0 * shows[p]
                    sv_o[village[j]] += d
                    sk_o[kin[j]] += d
            j += 1
    return k


@_jit
def tie_response_term(tanh_x, at_zero, ids, b_social, out):
    """``out = float32(((tanh_x + 1) × 0.5 − at_zero[ids]) × b_social)``: the ties term
    after numpy's tanh, in numpy's order of operations (Influence.terms)."""
    for q in range(ids.size):
        x = tanh_x[q] + 1.0
        x = x * 0.5
        x = x - at_zero[ids[q]]
        x = x * b_social
        out[q] = np.float32(x)


@_jit
def tie_parts(code, shows, idx, village, kin, bell, wb, Mv, Mk, Mc, cov, n_comm, wk, wn,
              cross, sv_b, sv_o, sk_b, sk_o, alive, out):
    """Each household's parts of its exposure from the sums (:func:`tie_sums`), in numpy's
    order of operations; ``out`` is [5, len(idx)]: kin, neighbours, bellwethers, other
    villages, total.  With ``alive`` (not empty) only the rows ``q`` where it is set are
    computed: their parts go to the first columns in order (returns how many), their total
    to column ``q``, and the other rows' total is 0."""
    sc = np.zeros(n_comm)
    if cross > 0:
        for v in range(sv_b.size):
            sc[cov[v]] += sv_b[v] + sv_o[v]
    cw = wn * cross
    some = alive.size > 0
    col = 0
    for q in range(idx.size):
        if some and not alive[q]:
            out[4, q] = 0.0
            continue
        i = idx[q]
        v = village[i]
        k = kin[i]
        mi = wb if bell[i] else 1.0
        own = mi * shows[code[i]]
        kin_o = sk_o[k] - (0.0 if bell[i] else own)
        kin_b = sk_b[k] - (own if bell[i] else 0.0)
        nb_o = sv_o[v] - sk_o[k]
        nb_b = sv_b[v] - sk_b[k]
        denom = wn * (Mv[v] - Mk[k]) + wk * (Mk[k] - mi)
        p0 = wk * kin_o
        p1 = wn * nb_o
        p2 = wk * kin_b + wn * nb_b
        p3 = 0.0
        if cross > 0:
            c = cov[v]
            p3 = cw * (sc[c] - sv_b[v] - sv_o[v])
            denom = denom + cw * (Mc[c] - Mv[v])
        if denom > 0:
            a, b, d, e = p0 / denom, p1 / denom, p2 / denom, p3 / denom
        else:
            a = b = d = e = 0.0
        out[0, col], out[1, col], out[2, col], out[3, col] = a, b, d, e
        out[4, q] = a + b + d + e
        col += 1
    return col


@_jit
def tie_exposure(code, shows, idx, village, kin, bell, wb, Mv, Mk, Mc, cov, n_villages, n_kin,
                 n_comm, wk, wn, cross, out):
    """influence.Ties.exposure: :func:`tie_sums`, then :func:`tie_parts`."""
    sv_b = np.zeros(n_villages)
    sv_o = np.zeros(n_villages)
    sk_b = np.zeros(n_kin)
    sk_o = np.zeros(n_kin)
    tie_sums(code, shows, village, kin, bell, wb, sv_b, sv_o, sk_b, sk_o)
    tie_parts(code, shows, idx, village, kin, bell, wb, Mv, Mk, Mc, cov, n_comm, wk, wn,
              cross, sv_b, sv_o, sk_b, sk_o, np.zeros(0, dtype=np.bool_), out)


# ------------------------------------------------------------------ supply's waiting list


@_jit
def keys_in_stage(keys, lo, hi, id_mask, stage, want, also, mask):
    """The keys of segments ``[lo[s], hi[s])`` of a sorted key list, in order, whose household
    (``key & id_mask``) is at stage ``want`` and, when ``also`` is not empty, has ``also``
    set; each as ``key & mask``.  One pass, no temporaries (supply.DemandSupply)."""
    n = 0
    for s in range(lo.size):
        n += hi[s] - lo[s]
    out = np.empty(n, dtype=np.int64)
    check = also.size > 0
    k = 0
    for s in range(lo.size):
        for j in range(lo[s], hi[s]):
            key = keys[j]
            i = key & id_mask
            if stage[i] == want and (not check or also[i]):
                out[k] = key & mask
                k += 1
    return out[:k].copy()


# ------------------------------------------------------------------ numpy's sum, streamed

_PW_BLOCK = 128   # numpy's PW_BLOCKSIZE: pairwise summation's leaves hold at most 128 values


@_jit
def _pairwise_leaves(n_total, out):
    """The sizes of the leaves of numpy's pairwise summation of ``n_total`` values, left to
    right, into ``out``; returns how many (no recursion: numba's cache does not keep
    recursive functions)."""
    ns = np.empty(128, dtype=np.int64)
    top = 0
    ns[0] = n_total
    k = 0
    while top >= 0:
        n = ns[top]
        top -= 1
        if n <= _PW_BLOCK:
            out[k] = n
            k += 1
        else:   # the right half waits under the left one
            n2 = n // 2
            n2 -= n2 % 8
            ns[top + 1] = n - n2
            ns[top + 2] = n2
            top += 2
    return k


@_jit
def _pairwise_combine(n_total, leaf_sums):
    """numpy's pairwise sum of ``n_total`` values from the sums of its leaves: each split
    adds its left half's sum and its right half's, in that order."""
    ns = np.empty(128, dtype=np.int64)
    state = np.zeros(128, dtype=np.int64)
    left = np.empty(128)
    top = 0
    ns[0] = n_total
    at = 0
    ret = 0.0
    while top >= 0:
        n = ns[top]
        if n <= _PW_BLOCK:
            ret = leaf_sums[at]
            at += 1
            top -= 1
            continue
        n2 = n // 2
        n2 -= n2 % 8
        if state[top] == 0:     # the left half first
            state[top] = 1
            top += 1
            ns[top], state[top] = n2, 0
        elif state[top] == 1:   # then the right half
            left[top] = ret
            state[top] = 2
            top += 1
            ns[top], state[top] = n - n2, 0
        else:
            ret = left[top] + ret
            top -= 1
    return ret


@_jit
def _leaf_sum(a, n):
    """numpy's sum of a leaf of ``n`` <= 128 values (``a[:n]``): sequential below 8 values,
    else eight lanes added pairwise and the rest in order."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    r0, r1, r2, r3, r4, r5, r6, r7 = a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
    i = 8
    while i < n - (n % 8):
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[i]
        i += 1
    return res


@_jit
def pairwise_sum(a):
    """``a.sum()`` of a contiguous float64 array as numpy computes it (pairwise summation,
    leaves of at most 128 values summed in eight lanes): the same bits.  A test checks it
    against numpy's own sum."""
    sizes = np.empty(a.size // 32 + 2, dtype=np.int64)
    n_leaves = _pairwise_leaves(a.size, sizes)
    sums = np.zeros(max(n_leaves, 1))
    pos = 0
    for leaf in range(n_leaves):
        sums[leaf] = _leaf_sum(a[pos:pos + sizes[leaf]], sizes[leaf])
        pos += sizes[leaf]
    return 0.0 + _pairwise_combine(a.size, sums)


@_jit
def tie_response_sums(code, shows, idx, village, kin, bell, wb, Mv, Mk, Mc, cov, n_comm, wk,
                      wn, cross, sv_b, sv_o, sk_b, sk_o, alive, n_alive, theta, width, arg,
                      sums):
    """:func:`tie_parts` of the rows flagged ``alive`` (``n_alive`` of them) without keeping
    the parts: ``arg[q]`` = the argument of tanh in the ties' response, ``(exposure −
    θ[idx[q]]) / width × 0.5`` (an exposure of 0 for the rows not flagged), and ``sums`` the
    four parts summed over the flagged rows as numpy sums them (:func:`pairwise_sum`, a
    leaf of at most 128 rows at a time: the same bits as ``parts.sum()``)."""
    sc = np.zeros(n_comm)
    if cross > 0:
        for v in range(sv_b.size):
            sc[cov[v]] += sv_b[v] + sv_o[v]
    cw = wn * cross
    # the per-household block below repeats tie_parts' on purpose: as a shared helper (even
    # inlined by numba) a 10^5-household run took 12-40% longer
    sizes = np.empty(n_alive // 32 + 2, dtype=np.int64)
    n_leaves = _pairwise_leaves(n_alive, sizes)
    leaf_sums = np.zeros((4, n_leaves))
    buf = np.empty((4, _PW_BLOCK))
    q = 0
    for leaf in range(n_leaves):
        n_l = sizes[leaf]
        for col in range(n_l):
            while not alive[q]:
                arg[q] = ((0.0 - theta[idx[q]]) / width) * 0.5
                q += 1
            i = idx[q]
            v = village[i]
            k = kin[i]
            mi = wb if bell[i] else 1.0
            own = mi * shows[code[i]]
            kin_o = sk_o[k] - (0.0 if bell[i] else own)
            kin_b = sk_b[k] - (own if bell[i] else 0.0)
            nb_o = sv_o[v] - sk_o[k]
            nb_b = sv_b[v] - sk_b[k]
            denom = wn * (Mv[v] - Mk[k]) + wk * (Mk[k] - mi)
            p0 = wk * kin_o
            p1 = wn * nb_o
            p2 = wk * kin_b + wn * nb_b
            p3 = 0.0
            if cross > 0:
                c = cov[v]
                p3 = cw * (sc[c] - sv_b[v] - sv_o[v])
                denom = denom + cw * (Mc[c] - Mv[v])
            if denom > 0:
                a, b, d, e = p0 / denom, p1 / denom, p2 / denom, p3 / denom
            else:
                a = b = d = e = 0.0
            arg[q] = (((a + b + d + e) - theta[i]) / width) * 0.5
            buf[0, col], buf[1, col], buf[2, col], buf[3, col] = a, b, d, e
            q += 1
        for s in range(4):
            leaf_sums[s, leaf] = _leaf_sum(buf[s], n_l)
    while q < idx.size:   # rows after the last flagged one
        arg[q] = ((0.0 - theta[idx[q]]) / width) * 0.5
        q += 1
    for s in range(4):
        sums[s] = 0.0 + _pairwise_combine(n_alive, leaf_sums[s])
