"""Well-kept libraries in place of hand-written twins give the results of before: the
report's HTML escaping (markupsafe) and the interval helpers checked against scipy's."""
import html

import numpy as np
import pytest
from scipy import stats

from ruralsim.evidence.validation import wilson
from ruralsim.experiments.replicate import _mean_ci
from ruralsim.report.html import Markup, escape, h, join

HOSTILE = ["plain", "<script>alert(1)</script>", 'a"b\'c', "x & y; &amp;", "南蒲 <b>",
           "\u2028\x00", "'\"<>&" * 3, "{}{0}", "%s"]


@pytest.mark.parametrize("text", HOSTILE)
def test_escaping_is_what_it_was_before_up_to_the_spelling_of_quotes(text):
    before = html.escape(text, quote=True)      # the hand-written escape() used the stdlib
    after = str(escape(text))
    assert after.replace("&#34;", "&quot;").replace("&#39;", "&#x27;") == before
    assert html.unescape(after) == text
    assert html.unescape(str(h('<td title="{}">{}</td>', text, text))) == \
        f'<td title="{text}">{text}</td>'


def test_markup_stays_markup_and_surrogates_become_writable():
    inner = h("<b>{}</b>", "<i>")
    assert isinstance(inner, Markup) and h("<p>{}</p>", inner) == "<p><b>&lt;i&gt;</b></p>"
    assert join(["<x>", inner], "<br>") == "&lt;x&gt;<br><b>&lt;i&gt;</b>"
    assert escape(Markup("<hr>")) == "<hr>"
    assert h("<p>{}</p>", "\ud800x") == "<p>\ufffdx</p>"
    assert join(["\udfff"]).encode("utf-8") == "\ufffd".encode("utf-8")


def test_the_paired_difference_interval_agrees_with_scipy():
    """``_mean_ci`` is kept: it equals ``ttest_1samp(...).confidence_interval()`` to 1e-12
    (not bit for bit: the two round in another order), and it gives a zero-width interval
    for identical differences where scipy gives NaN."""
    rng = np.random.default_rng(3)
    for n in (2, 3, 5, 30, 200):
        d = rng.normal(rng.uniform(-1e6, 1e6), rng.uniform(0.1, 1e5), n)
        mean, lo, hi = _mean_ci(d)
        ci = stats.ttest_1samp(d, 0.0).confidence_interval(0.95)
        assert mean == pytest.approx(d.mean(), rel=1e-15)
        assert (lo, hi) == pytest.approx((ci.low, ci.high), rel=1e-12, abs=1e-9)
    assert _mean_ci(np.full(4, 2.5)) == (2.5, 2.5, 2.5)


def test_the_wilson_interval_agrees_with_scipy_at_its_z():
    """``wilson`` is kept: with z = 1.96 (docs/validation.md was computed with it) it differs
    from ``binomtest(...).proportion_ci(method='wilson')`` (z = 1.959964) by about 1e-5."""
    for k, n in [(0, 6), (3, 6), (6, 6), (7, 30), (29, 30)]:
        lo, hi = wilson(k / n, n)
        ci = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
        assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=2e-5)
        z = stats.norm.ppf(0.975)
        assert wilson(k / n, n, z=z) == pytest.approx((ci.low, ci.high), abs=1e-12)
