import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from helpers import autoencoders as ae
from helpers.cache import cache_path, trained
from helpers.data import mnist
from helpers.nets import trace_shapes

TINY = dict(epochs=1, limit=256, batch_size=64)


@pytest.fixture(autouse=True)
def _isolated_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    monkeypatch.setenv("GANBOOK_BUDGET", "quick")
    yield
    plt.close("all")


# ----------------------------------------------------------------------------- models


def test_mlp_autoencoder_shapes_and_ranges():
    model = ae.MLPAutoencoder()
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    code, recon = model(x)
    assert code.shape == (5, 3) and recon.shape == (5, 1, 28, 28)
    assert recon.min() >= -1 and recon.max() <= 1
    linears = [m for m in model.encoder if isinstance(m, nn.Linear)]
    sizes = [(m.in_features, m.out_features) for m in linears]
    assert sizes == [(784, 128), (128, 64), (64, 12), (12, 3)]
    assert isinstance(model.decoder[-1], nn.Tanh)
    assert not isinstance(model.encoder[-1], nn.ReLU)  # codes may be negative
    with pytest.raises(ValueError, match="layers"):
        ae.MLPAutoencoder((100, 3))


def test_mlp_autoencoder_keeps_the_state_dict_keys_of_the_cached_models():
    keys = list(ae.MLPAutoencoder().state_dict())
    assert keys == [
        f"{part}.{index}.{kind}"
        for part in ("encoder", "decoder")
        for index in (0, 2, 4, 6)
        for kind in ("weight", "bias")
    ]


def test_conv_autoencoder_shapes_match_the_comments():
    model = ae.ConvAutoencoder()
    x = torch.zeros(2, 1, 28, 28)
    encoder = [s for _, _, s in trace_shapes(model.encoder, x)]
    assert encoder == [
        (2, 16, 10, 10),
        (2, 16, 10, 10),
        (2, 16, 5, 5),
        (2, 8, 3, 3),
        (2, 8, 3, 3),
        (2, 8, 2, 2),
    ]
    decoder = [
        (layer, s) for _, layer, s in trace_shapes(model.decoder, model.encode(x))
    ]
    assert [s for _, s in decoder][::2] == [
        (2, 16, 5, 5),
        (2, 8, 15, 15),
        (2, 1, 28, 28),
    ]
    assert decoder[-1][0] == "Tanh"
    assert model.encode(x).flatten(1).shape[1] == model.code_size == 32


# ----------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "field, value",
    [
        ("kind", "rnn"),
        ("layers", (100, 3)),
        ("layers", (784,)),
        ("layers", (784, 0)),
        ("epochs", 0),
        ("epochs", 1001),
        ("lr", 0),
        ("lr", 2.0),
        ("weight_decay", -1e-5),
        ("batch_size", 0),
        ("limit", 0),
        ("limit", 60_001),
        ("seed", -1),
    ],
)
def test_settings_reject_bad_values_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"^{field}=.*allowed"):
        ae.AutoencoderSettings(**{field: value})


def test_settings_check_the_batch_against_the_digits():
    with pytest.raises(ValueError, match="batch_size=512 .*256 training digits"):
        ae.AutoencoderSettings(limit=256, batch_size=512)
    ae.AutoencoderSettings(limit=256, batch_size=256)


def test_settings_are_frozen_and_hold_layers_as_a_tuple():
    settings = ae.AutoencoderSettings(layers=[784, 32, 2])
    assert settings.layers == (784, 32, 2) and hash(settings)
    with pytest.raises(AttributeError):
        settings.epochs = 3
    assert isinstance(settings.build(), ae.MLPAutoencoder)
    assert isinstance(ae.AutoencoderSettings(kind="conv").build(), ae.ConvAutoencoder)


def test_the_book_autoencoder_follows_the_models_budget(monkeypatch):
    quick = ae.book_autoencoder()
    assert quick.layers == (784, 128, 64, 12, 3) and quick.kind == "mlp"
    assert quick.limit is not None and quick.epochs >= 1
    assert ae.book_autoencoder(kind="conv").kind == "conv"
    assert ae.book_autoencoder(epochs=3).epochs == 3
    monkeypatch.setenv("GANBOOK_BUDGET", "full")
    assert ae.book_autoencoder().limit is None and ae.book_autoencoder().epochs > 1
    # chapter 2's panel at its starting values names the book's autoencoder, so later
    # chapters find the model it trained
    chapter = ae.book_autoencoder(layers=(784, 128, 64, 12, 3), lr=1e-3)
    assert chapter == ae.book_autoencoder()


def test_every_book_autoencoder_trains_without_weight_decay():
    # Chapter 2 compares the convolutional and fully connected designs, so both are
    # trained the same way; the seed's 1e-5 was set against a loss 784 times larger.
    for kind in ("mlp", "conv"):
        assert ae.book_autoencoder(kind=kind).weight_decay == 0
    assert ae.AutoencoderSettings().weight_decay == 0


# ----------------------------------------------------------------------------- training


def test_training_lowers_the_loss_and_repeats_under_a_seed(monkeypatch, tmp_path):
    settings = ae.AutoencoderSettings(epochs=3, limit=256, batch_size=32)
    test, _ = mnist(train=False, scale="tanh", device="cpu", limit=200)
    torch.manual_seed(settings.seed)
    untrained = settings.build()
    run = trained(settings, device="cpu", progress=False)
    assert run.history.steps == 3 * 8 and not run.history.stopped
    assert not run.from_cache and run.settings == settings
    assert ae.pixel_mse(run.model, test) < ae.pixel_mse(untrained, test)
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path / "empty"))  # trained afresh
    again = trained(settings, device="cpu", progress=False)
    assert not again.from_cache
    for a, b in zip(run.model.parameters(), again.model.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_a_second_trained_call_comes_from_the_cache(kind):
    settings = ae.AutoencoderSettings(kind=kind, layers=(784, 16, 3), **TINY)
    first = trained(settings, device="cpu", progress=False)
    assert not first.from_cache and cache_path(settings).exists()
    assert cache_path(settings).name.startswith("autoencoder-")
    second = trained(settings, device="cpu", progress=False)
    assert second.from_cache and not second.model.training
    assert type(second.model) is type(first.model)
    assert second.history.steps == first.history.steps == 4
    for a, b in zip(
        first.model.state_dict().values(), second.model.state_dict().values()
    ):
        assert torch.equal(a, b)


def test_fit_reseeds_so_the_build_does_not_change_the_training_run():
    settings = ae.AutoencoderSettings(layers=(784, 16, 3), **TINY)
    torch.manual_seed(0)
    model = settings.build()
    start = {k: v.clone() for k, v in model.state_dict().items()}
    settings.fit(model, device=torch.device("cpu"), progress=False)
    torch.manual_seed(123)  # another global state: fit seeds its own run
    other = settings.build()
    other.load_state_dict(start)
    settings.fit(other, device=torch.device("cpu"), progress=False)
    for a, b in zip(model.parameters(), other.parameters()):
        assert torch.equal(a, b)


def test_weight_decay_reaches_adam_and_shrinks_the_weights():
    plain = ae.AutoencoderSettings(layers=(784, 16, 3), lr=0.01, **TINY)
    decayed = ae.AutoencoderSettings(
        layers=(784, 16, 3), lr=0.01, weight_decay=0.5, **TINY
    )
    norms = []
    for settings in (plain, decayed):
        run = trained(settings, device="cpu", progress=False)
        norms.append(sum(p.norm() ** 2 for p in run.model.parameters()).sqrt())
    assert norms[1] < 0.9 * norms[0]


def test_autoencoder_step_lowers_the_squared_error():
    torch.manual_seed(0)
    model = ae.MLPAutoencoder((784, 32, 4))
    step = ae.autoencoder_step(model, torch.optim.Adam(model.parameters(), lr=1e-2))
    x = torch.rand(16, 1, 28, 28) * 2 - 1
    losses = [step((x,))["mse"].item() for _ in range(20)]
    assert losses[-1] < losses[0]


# ----------------------------------------------------------------------------- measures


def test_reconstruct_and_encode_batch_consistently_in_eval_mode():
    torch.manual_seed(0)
    model = ae.MLPAutoencoder().train()
    x = torch.rand(25, 1, 28, 28) * 2 - 1
    codes = ae.encode_all(model, x, batch_size=7)
    assert model.training  # the mode it had comes back
    assert torch.allclose(codes, model.encode(x), atol=1e-6)
    reconstructions = ae.reconstruct(model, x, batch_size=7)
    assert torch.allclose(reconstructions, model(x)[1], atol=1e-6)
    assert model.training


def test_pixel_mse_is_on_the_unit_scale():
    class Constant(nn.Module):
        scale = "tanh"

        def encode(self, x):
            return x.flatten(1)[:, :1]

        def decode(self, code):
            return torch.zeros(len(code), 1, 28, 28)

    x = torch.ones(4, 1, 28, 28)  # white in [-1, 1]: 0.5 from grey on the [0, 1] scale
    assert ae.pixel_mse(Constant(), x) == pytest.approx(0.25)


def test_random_codes_follow_the_codes_statistics():
    scale, shift = torch.tensor([1.0, 2.0, 0.5]), torch.tensor([3.0, -1.0, 0.0])
    codes = torch.randn(5000, 3) * scale + shift
    drawn = ae.random_codes(codes, 20000, torch.Generator().manual_seed(0))
    assert drawn.shape == (20000, 3)
    assert torch.allclose(drawn.mean(0), codes.mean(0), atol=0.05)
    assert torch.allclose(drawn.std(0), codes.std(0), rtol=0.05)
    with pytest.raises(ValueError, match="n=0"):
        ae.random_codes(codes, 0)


def test_random_codes_with_full_covariance_keep_the_correlations():
    mixing = torch.tensor([[1.0, 0.8, 0.0], [0.0, 0.6, 0.3], [0.0, 0.0, 0.5]])
    noise = torch.randn(20000, 3, generator=torch.Generator().manual_seed(1))
    codes = noise @ mixing + 2.0
    drawn = ae.random_codes(
        codes, 20000, torch.Generator().manual_seed(0), full_covariance=True
    )
    assert torch.allclose(drawn.mean(0), codes.mean(0), atol=0.05)
    assert torch.allclose(torch.cov(drawn.T), torch.cov(codes.T), atol=0.05)
    independent = ae.random_codes(codes, 20000, torch.Generator().manual_seed(0))
    # the default drops them
    assert torch.cov(independent.T)[0, 1].abs() < 0.05 < torch.cov(codes.T)[0, 1]


def test_code_gap_measures_real_and_random_codes_against_the_second_half():
    codes = torch.tensor([[0.0], [10.0], [1.0], [11.0]])  # reference: [1] and [11]
    drawn = torch.tensor(
        [[5.0], [100.0], [7.0]]
    )  # only as many as the first half count
    real_gap, random_gap = ae.code_gap(codes, drawn)
    assert real_gap == pytest.approx(1.0)  # 0 -> 1 and 10 -> 11
    # 5 -> 1 (4), 100 -> 11 (89): torch.median takes the lower middle
    assert random_gap == pytest.approx(4.0)
    with pytest.raises(ValueError, match="at least 2"):
        ae.code_gap(codes[:1], drawn)


def test_same_class_neighbours_counts_codes_whose_nearest_code_shares_the_class():
    apart = torch.tensor([[0.0], [0.1], [5.0], [5.1]])
    assert ae.same_class_neighbours(apart, torch.tensor([0, 0, 1, 1])) == 1.0
    # every nearest neighbour is of the other class
    assert ae.same_class_neighbours(apart, torch.tensor([0, 1, 0, 1])) == 0.0
    mixed = torch.tensor([[0.0], [0.1], [0.3], [5.0], [5.1]])  # 0.3's nearest is 0.1
    labels = torch.tensor([0, 0, 1, 1, 1])
    assert ae.same_class_neighbours(mixed, labels, batch_size=2) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="at least 2"):
        ae.same_class_neighbours(apart[:1], torch.tensor([0]))


def test_class_shapes_measure_the_spread_and_the_elongation_of_each_class():
    generator = torch.Generator().manual_seed(0)
    round_cloud = torch.randn(20000, 3, generator=generator)
    long_cloud = torch.randn(20000, 3, generator=generator) * torch.tensor([3.0, 1, 1])
    codes = torch.cat([round_cloud, long_cloud + 10])
    labels = torch.cat([torch.zeros(20000), torch.ones(20000)]).long()
    shapes = ae.class_shapes(codes, labels)
    assert set(shapes) == {0, 1}
    assert shapes[0][0] == pytest.approx(3**0.5, rel=0.02)  # sqrt(1 + 1 + 1)
    assert shapes[1][0] == pytest.approx(11**0.5, rel=0.02)  # sqrt(9 + 1 + 1)
    assert shapes[0][1] == pytest.approx(1.0, abs=0.05)
    assert shapes[1][1] == pytest.approx(3.0, rel=0.05)
    with pytest.raises(ValueError, match="class 1 has 3 codes"):
        ae.class_shapes(codes[:8], torch.tensor([0, 0, 0, 0, 0, 1, 1, 1]))
