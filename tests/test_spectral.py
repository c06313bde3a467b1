"Brute-force checks of spectral_clusters against the explicit n x n matrices, beyond the notebook's."
import numpy as np
import pytest
import scipy.linalg
import torch
from wsss_nb.spectral import spectral_clusters, synthetic_patterns, pattern_degrees, normalised_gram, _eig_gram, _eig_lanczos

def explicit(A, M):
    "The M smallest (λ, v) of L v = λ D v from the explicit matrices"
    A = np.asarray(A, np.float64); W = A @ A.T; D = np.diag(W.sum(1))
    return scipy.linalg.eigh(D - W, D, subset_by_index=[0, M - 1])

@pytest.mark.parametrize('n,d,M', [(4, 3, 4), (5, 2, 4), (9, 1, 3), (30, 7, 4), (60, 40, 6), (200, 12, 4)])
@pytest.mark.parametrize('method', ['gram', 'lanczos'])
def test_eigenvalues_equal_the_explicit_problem_on_random_pools(n, d, M, method):
    rng = np.random.default_rng(n * 100 + d)
    A = rng.random((n, d)) ** 3                                   # skewed, non-negative, dense
    lam, _ = explicit(A, M)
    r = spectral_clusters(A, M=M, m=1, method=method)
    np.testing.assert_allclose(r.eigenvalues, lam, atol=1e-6)
    assert r.labels.shape == (n,) and r.labels.dtype == np.int64 and r.k == max(1, int((lam < 0.7).sum()))

@pytest.mark.parametrize('eig', [_eig_gram, _eig_lanczos])
def test_vectors_solve_the_generalised_problem(eig):
    A, _ = synthetic_patterns(150, d=20, c=3, dtype=np.float64, seed=3)
    W = A @ A.T; D = np.diag(W.sum(1)); L = D - W
    deg = pattern_degrees(A)
    mu, vectors = eig(A, deg, 4, 16) if eig is _eig_gram else eig(A, deg, 4, 0)
    V = vectors(4)
    for i in range(4):
        v, lam = V[:, i], 1 - mu[i]
        np.testing.assert_allclose(L @ v, lam * (D @ v), atol=1e-8 * np.abs(D @ v).max())
        np.testing.assert_allclose(v @ D @ v, 1, rtol=1e-8)       # D-orthonormal, as u = D^1/2 v is orthonormal

def test_chunking_threads_and_dtype_do_not_change_the_result():
    A, y = synthetic_patterns(3000, d=64, c=4, seed=5)
    ref = spectral_clusters(A)
    assert ref.k == 4
    for chunk in (1, 333, 10**6):
        r = spectral_clusters(A, chunk=chunk)
        np.testing.assert_allclose(r.eigenvalues, ref.eigenvalues, atol=1e-6)
        assert np.array_equal(r.labels, ref.labels)
    np.testing.assert_allclose(normalised_gram(A, pattern_degrees(A), chunk=7),
                               normalised_gram(A.astype(np.float64), pattern_degrees(A.astype(np.float64))), rtol=1e-5, atol=1e-7)
    r64 = spectral_clusters(A.astype(np.float64))
    np.testing.assert_allclose(r64.eigenvalues, ref.eigenvalues, atol=1e-6)
    assert np.array_equal(spectral_clusters(A, seed=0).labels, ref.labels)           # deterministic

def test_gram_and_lanczos_agree_on_partition():
    from sklearn.metrics import adjusted_rand_score
    A, y = synthetic_patterns(2000, d=32, c=3, noise=0.4, seed=7)
    g, l = spectral_clusters(A, method='gram'), spectral_clusters(A, method='lanczos')
    assert g.k == l.k == 3 and adjusted_rand_score(g.labels, l.labels) > 0.99 and adjusted_rand_score(y, g.labels) > 0.99

def test_fewer_dimensions_than_M():
    "rank(A Aᵀ) <= d: the eigenvalues past d are exactly 1; asking for more clusters than d is refused"
    A, _ = synthetic_patterns(50, d=2, c=2, seed=1)
    lam, _ = explicit(A, 4)
    r = spectral_clusters(A, M=4, m=2)
    np.testing.assert_allclose(r.eigenvalues, lam, atol=1e-6)
    np.testing.assert_allclose(r.eigenvalues[2:], 1, atol=1e-9)
    with pytest.raises(ValueError, match='d=2'): spectral_clusters(A, M=4, m=3)

@pytest.mark.parametrize('bad,match', [
    (lambda A: A[:, 0], '2-D'), (lambda A: A.astype(np.int32), 'float32 or float64'),
    (lambda A: np.where(A > 0.2, np.inf, A), 'inf'), (lambda A: torch.from_numpy(np.where(A > 0.2, np.nan, A)), 'nan'),
    (lambda A: -A, 'non-negative'), (lambda A: A[:3], 'fewer than the M=4'), (lambda A: np.zeros((0, 5)), 'fewer than'),
    (lambda A: np.vstack([A[:7], 0 * A[:1], A[7:]]), r'rows \[7\]')])
def test_bad_input_clear_error(bad, match):
    A, _ = synthetic_patterns(40, d=8, c=2)
    with pytest.raises(ValueError, match=match): spectral_clusters(bad(A))

def test_nan_error_names_the_first_bad_entry():
    A, _ = synthetic_patterns(5000, d=8, c=2)
    A[4321, 5] = np.nan; A[4999, 0] = -1
    with pytest.raises(ValueError, match=r'A\[4321, 5\] = nan'): spectral_clusters(A, chunk=100)
