"""U26_Lepton35: the atom statistics against a brute-force pixel rendering, sub-pixel hotspots, defects,
flat-field-correction freezes, saturation."""

from __future__ import annotations

from typing import TypedDict, Unpack

import numpy as np
import pytest
from scipy import ndimage

from envirosense.schemas import SensorStatus
from envirosense.simulation.field import ThermalScene, TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.physics.ambient import rated_line_field_ut
from envirosense.simulation.result import STATUS_CODE
from envirosense.simulation.sensors.thermal_camera import (
    SceneLayout,
    ThermalCameraSensor,
    block_image,
    frame_atoms,
    hotspot_area,
    hottest_region,
    render_frame,
    weighted_quantiles,
)
from tests.simulation.sensors.sensor_fields import NO_DROPOUTS, constant_field

AREAS = np.array([0.0, 0.3, 1.0, 4.0, 9.0, 30.0, 400.0, 1500.0, 4000.0, 20_000.0])


def _scene(background: float = 15.0, hotspot: float = 150.0) -> ThermalScene:
    n = AREAS.size
    return ThermalScene(
        background_c=np.full(n, background),
        hotspot_surface_c=np.full(n, hotspot),
        hotspot_area_px=AREAS.copy(),
        warm_region_c=np.linspace(25.0, 60.0, n),
        warm_region_area_px=np.linspace(900.0, 10.0, n),
        hotspot_on_equipment=np.zeros(n, dtype=bool),
    )


@pytest.mark.parametrize(("defects_per_day", "slack"), [(0.0, 1.0), (0.02, 5.0)])
def test_atoms_match_a_brute_force_pixel_rendering(defects_per_day: float, slack: float) -> None:
    """Defects inside an overlay are the atoms' one approximation, hence the slack when there are defects."""
    scene = _scene()
    contrast = np.full(AREAS.size, 1.5)
    age = np.full(AREAS.size, 700.0)
    layout = SceneLayout.draw(np.random.default_rng(8), 700.0, defects_per_day, defects_per_day)
    atoms = frame_atoms(layout, scene, contrast, age)
    image = block_image(layout, atoms, scene, contrast)
    for i in range(AREAS.size):
        frame = render_frame(layout, scene, contrast, age, i)
        pixels = frame[np.isfinite(frame)]
        values, weights = atoms.values[i], atoms.weights[i]
        assert weights.sum() == pytest.approx(pixels.size)
        mean = (weights * values).sum() / weights.sum()
        assert mean == pytest.approx(pixels.mean(), abs=0.02 * slack)
        std = np.sqrt((weights * (values - mean) ** 2).sum() / weights.sum())
        assert std == pytest.approx(pixels.std(), rel=0.01 * slack, abs=0.01)
        present = values[weights > 0]
        assert present.max() == pytest.approx(pixels.max(), abs=1e-9 if defects_per_day == 0 else 60.0)
        median, p99 = weighted_quantiles(values[None], weights[None], (0.5, 0.99))[:, 0]
        assert median == pytest.approx(np.quantile(pixels, 0.5, method="inverted_cdf"), abs=0.25)
        assert p99 == pytest.approx(np.quantile(pixels, 0.99, method="inverted_cdf"), abs=0.25)
        if defects_per_day == 0:
            (region,) = hottest_region(values[None], weights[None], 9.0)
            assert region == pytest.approx(np.sort(pixels)[-9], abs=0.25)
            # The spot's half-maximum area: the connected pixels around the hottest one at or above half
            # its excess over the median, counted on the rendered frame.
            n_background = layout.atom_values.size
            groups = (slice(0, n_background), slice(n_background, n_background + 16), slice(n_background + 16, None))
            (area,) = hotspot_area(values[None], weights[None], groups, np.array([region]), np.array([median]))
            components, _ = ndimage.label(frame >= median + 0.5 * (region - median))
            spot = components == components.flat[np.nanargmax(frame)]
            assert area == pytest.approx(spot.sum(), rel=0.01, abs=1.0), AREAS[i]
        threshold = median + 10.0
        assert (weights * (values > threshold)).sum() == pytest.approx((pixels > threshold).sum(), abs=2.0 * slack)
        blocks = frame.reshape(12, 10, 16, 10).mean(axis=(1, 3)).ravel()
        clean = (layout.dead_blocks.sum(axis=0) + layout.hot_blocks.sum(axis=0)) == 0
        np.testing.assert_allclose(image[i][clean], blocks[clean], atol=0.15)


def _camera_field(n: int, area: float, hotspot_c: float, dt: float = 1.0) -> TrueField:
    field = constant_field(n, dt=dt)
    field.thermal.hotspot_area_px[:] = area
    field.thermal.hotspot_surface_c[:] = hotspot_c
    return field


class _CameraOptions(TypedDict, total=False):
    """The ``ThermalCameraSensor`` options a test sets on the ideal camera (seconds, standard deviations)."""

    ffc_interval_s: float
    phase_mismatch_sd: float
    load_scale_sd: float


def _ideal_camera(**kwargs: Unpack[_CameraOptions]) -> ThermalCameraSensor:
    return ThermalCameraSensor(
        gain_sd=0.0,
        offset_sd_c=0.0,
        low_gain_offset_sd_c=0.0,
        offset_tempco_sd_c_per_k=0.0,
        offset_drift_sd_c_per_year=0.0,
        dead_pixels_per_day=0.0,
        hot_pixels_per_day=0.0,
        **kwargs,
    )


def test_sub_pixel_hotspot_reads_cold_and_a_3x3_target_reads_true() -> None:
    maxima = []
    for area in (0.5, 1.0, 2.0, 4.0, 8.0, 9.0, 25.0):
        readings = _ideal_camera().measure(_camera_field(20, area, 200.0), NO_DROPOUTS, np.random.default_rng(0))
        maxima.append(float(np.median(readings["max_temperature_c"])))
    assert np.all(np.diff(maxima[:6]) > 5.0)
    assert maxima[0] < 60.0
    assert maxima[5] == pytest.approx(200.0, abs=0.3)
    assert maxima[6] == pytest.approx(200.0, abs=0.3)


def test_a_hotspot_raises_max_delta_count_and_the_image() -> None:
    quiet = _ideal_camera().measure(_camera_field(30, 0.0, 20.0), NO_DROPOUTS, np.random.default_rng(1))
    hot = _ideal_camera().measure(_camera_field(30, 60.0, 120.0), NO_DROPOUTS, np.random.default_rng(1))
    assert hot["max_temperature_c"].mean() > quiet["max_temperature_c"].mean() + 80.0
    assert hot["hotspot_delta_c"].mean() > quiet["hotspot_delta_c"].mean() + 80.0
    assert hot["hotspot_pixel_count"].mean() >= quiet["hotspot_pixel_count"].mean() + 60
    assert hot["downsampled_image_c"].max() > quiet["downsampled_image_c"].max() + 20.0


def test_defects_accumulate_with_age() -> None:
    field = constant_field(3)
    field.times_s = np.array([0.0, 200.0, 400.0]) * 86_400.0
    counts = np.array(
        [
            ThermalCameraSensor(dead_pixels_per_day=0.01).measure(
                field, DeviceParams(days_since_calibration=0, dropout_probability=0), np.random.default_rng(s)
            )["dead_pixel_count"]
            for s in range(40)
        ]
    )
    assert counts[:, 0].mean() < 0.5 < counts[:, 2].mean() / 2
    assert np.all(np.diff(counts, axis=1) >= 0)
    old = ThermalCameraSensor(dead_pixels_per_day=0.01).measure(
        constant_field(5), DeviceParams(days_since_calibration=700, dropout_probability=0), np.random.default_rng(3)
    )
    assert (old["dead_pixel_count"] > 0).all()
    assert (old["min_temperature_c"] == -10.0).all()


def test_hot_pixels_raise_the_maximum_but_not_the_hotspot() -> None:
    """A hotspot is a region of ≥ 3 × 3 pixels: isolated defective pixels move the hottest pixel only."""
    readings = _ideal_camera().measure(_camera_field(10, 0.0, 20.0), NO_DROPOUTS, np.random.default_rng(2))
    faulty = ThermalCameraSensor(hot_pixels_per_day=0.05, dead_pixels_per_day=0.0, gain_sd=0.0, offset_sd_c=0.0)
    with_hot = faulty.measure(
        _camera_field(10, 0.0, 20.0),
        DeviceParams(days_since_calibration=200, dropout_probability=0),
        np.random.default_rng(2),
    )
    assert with_hot["max_temperature_c"].mean() > readings["max_temperature_c"].mean() + 10.0
    assert with_hot["hotspot_delta_c"].mean() == pytest.approx(readings["hotspot_delta_c"].mean(), abs=0.3)
    assert with_hot["hotspot_pixel_count"].mean() < readings["hotspot_pixel_count"].mean() + 20


def test_flat_field_correction_freezes_the_frame() -> None:
    field = _camera_field(400, 30.0, 100.0, dt=0.5)
    field.thermal.background_c[:] = np.linspace(10.0, 30.0, 400)
    readings = _ideal_camera(ffc_interval_s=20.0).measure(field, NO_DROPOUTS, np.random.default_rng(4))
    frozen = readings["ffc_in_progress"] == 1.0
    assert 15 <= frozen.sum() <= 25
    indices = np.flatnonzero(frozen)
    indices = indices[indices > 0]
    for name in ("mean_temperature_c", "max_temperature_c"):
        values = readings[name]
        np.testing.assert_array_equal(values[indices], values[indices - 1])
    assert np.all(np.diff(readings["mean_temperature_c"][~frozen]) > 0)


def test_scene_above_400_c_saturates() -> None:
    readings = ThermalCameraSensor().measure(_camera_field(10, 80.0, 900.0), NO_DROPOUTS, np.random.default_rng(5))
    assert (readings["status"] == STATUS_CODE[SensorStatus.SATURATED]).all()
    assert readings["max_temperature_c"].max() == 400.0
    assert readings["downsampled_image_c"].shape == (10, 192)


def test_a_scene_below_minus_10_c_is_reported_with_reduced_accuracy() -> None:
    """−10 °C is the edge of the Lepton's calibrated range, not a hard limit: at −14 °C air the frame reads
    −14 °C with status REDUCED_ACCURACY, not a saturated −10.00 °C."""
    field = _camera_field(10, 0.0, -14.0)
    field.thermal.background_c[:] = -14.0
    field.thermal.warm_region_c[:] = -12.0
    readings = _ideal_camera().measure(field, NO_DROPOUTS, np.random.default_rng(6))
    assert (readings["status"] == STATUS_CODE[SensorStatus.REDUCED_ACCURACY]).all()
    assert readings["mean_temperature_c"] == pytest.approx(np.full(10, -14.0), abs=1.0)
    assert (readings["min_temperature_c"] < -14.0).all()
    warm = _camera_field(10, 0.0, 15.0)
    assert (_ideal_camera().measure(warm, NO_DROPOUTS, np.random.default_rng(6))["status"] == 0).all()
    field.thermal.background_c[:] = -75.0
    frozen = _ideal_camera().measure(field, NO_DROPOUTS, np.random.default_rng(6))
    assert (frozen["status"] == STATUS_CODE[SensorStatus.SATURATED]).all()
    assert frozen["min_temperature_c"].min() == -60.0


def test_hotspot_area_reads_the_optical_blur_for_a_sub_pixel_spot_and_the_spot_when_resolved() -> None:
    """A tiny very hot spot and a large warm one can give the same ΔT; their areas tell them apart."""
    areas = {}
    for area, surface in ((0.3, 400.0), (2.0, 200.0), (100.0, 60.0), (400.0, 60.0)):
        readings = _ideal_camera().measure(_camera_field(10, area, surface), NO_DROPOUTS, np.random.default_rng(2))
        areas[area] = float(np.median(readings["hotspot_area_px"]))
    assert areas[0.3] == areas[2.0] == 9.0
    assert areas[100.0] == pytest.approx(100.0, rel=0.15)
    assert areas[400.0] == pytest.approx(400.0, rel=0.1)


def test_roi_delta_compares_a_hotspot_on_the_equipment_with_its_similar_parts() -> None:
    """Phase comparison: the same 60 °C spot reads 60 − 28 °C (the healthy parts) on the equipment, 0 elsewhere."""
    readings = {}
    for on_equipment in (True, False):
        field = _camera_field(20, 100.0, 60.0)
        field.thermal.hotspot_on_equipment[:] = on_equipment
        camera = _ideal_camera(phase_mismatch_sd=0.0)
        readings[on_equipment] = camera.measure(field, NO_DROPOUTS, np.random.default_rng(3))
    assert np.median(readings[True]["roi_delta_c"]) == pytest.approx(60.0 - 28.0, abs=0.3)
    assert np.max(readings[False]["roi_delta_c"]) < 0.3
    assert np.array_equal(readings[True]["hotspot_delta_c"], readings[False]["hotspot_delta_c"])


def test_roi_delta_cancels_the_camera_offset_and_healthy_parts_differ_by_a_little() -> None:
    """The ±5 °C absolute accuracy drops out of a difference; only the 1 % gain error is left."""
    deltas, healthy = [], []
    for seed in range(8):
        field = _camera_field(5, 100.0, 60.0)
        field.thermal.hotspot_on_equipment[:] = True
        readings = ThermalCameraSensor(phase_mismatch_sd=0.0).measure(field, NO_DROPOUTS, np.random.default_rng(seed))
        deltas.append(float(np.median(readings["roi_delta_c"])))
        quiet = ThermalCameraSensor().measure(_camera_field(5, 0.0, 20.0), NO_DROPOUTS, np.random.default_rng(seed))
        healthy.append(float(np.median(quiet["roi_delta_c"])))
    assert np.allclose(deltas, 32.0, atol=1.2)
    assert 0.0 < max(healthy) < 0.5 * (28.0 - 20.0)


@pytest.mark.parametrize(("load", "scale"), [(1.0, 1.0), (0.5, 0.5**-1.8), (1.2, 1.2**-1.8), (0.1, 0.3**-1.8)])
def test_rated_roi_delta_scales_the_delta_by_the_load_the_box_measures(load: float, scale: float) -> None:
    """The box reads the load from its AC field sensor (field ∝ current) and scales the ROI delta to rated
    load by ``load^−1.8``, never from below 0.3 of rated load."""
    field = _camera_field(20, 100.0, 60.0)
    field.thermal.hotspot_on_equipment[:] = True
    field.emf.magnetic_field_ut[:] = load * rated_line_field_ut()
    readings = _ideal_camera(phase_mismatch_sd=0.0, load_scale_sd=0.0).measure(
        field, NO_DROPOUTS, np.random.default_rng(4)
    )
    assert np.allclose(
        readings["roi_delta_rated_c"], scale * readings["roi_delta_c"], atol=0.006 * scale + 0.006
    )  # both read in 0.01 °C steps


def test_rated_roi_delta_carries_the_commissioning_error_of_the_load_estimate() -> None:
    """Per device, the field-to-load factor recorded at commissioning is off by a few percent."""
    field = _camera_field(5, 100.0, 60.0)
    field.thermal.hotspot_on_equipment[:] = True
    field.emf.magnetic_field_ut[:] = rated_line_field_ut()
    ratios = [
        float(np.median(r["roi_delta_rated_c"] / r["roi_delta_c"]))
        for r in (
            _ideal_camera(phase_mismatch_sd=0.0).measure(field, NO_DROPOUTS, np.random.default_rng(seed))
            for seed in range(30)
        )
    ]
    assert 0.02 < float(np.std(np.log(ratios))) / 1.8 < 0.1
