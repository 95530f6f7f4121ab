"""U26_Lepton35: FLIR Lepton 3.5 radiometric LWIR camera (160×120), summarised per frame.

**Rendering.** A frame is never drawn pixel by pixel. It is a *weighted multiset of pixel values*
("atoms") whose statistics equal those of the 19,200-pixel frame:

- Background: a static per-device scene pattern ``s`` (vertical sky-to-ground gradient, a few
  low-frequency texture waves, 0.05 °C fixed-pattern residue; drawn once from the generator) scaled by a
  solar contrast factor ``0.6 + 1.4·G/1000`` and offset by the true background temperature. Its
  distribution is stored as 88 quantile atoms (dense in both 2 % tails, so p99 and the extremes stay
  exact to a few hundredths of a degree) plus its exact minimum and maximum.
- Hotspot and warm region: squares of the true area ``A`` (pixels) blurred by a 3-pixel box, which is
  the "target must cover ≥ 3×3 pixels" rule of thumb [S71]: a pixel's fill fraction is separable,
  ``f = g(i)·g(j)`` with ``g(i) = |[−L/2, L/2] ∩ [i−1.5, i+1.5]| / 3``, ``L = √A``. Along one axis there
  are only the interior pixels (g = 1) and at most three partial ones on each side, so a whole hotspot is
  16 (value, count) atoms. Each pixel's apparent temperature mixes radiance,
  ``W⁻¹(f·W(T_hot) + (1−f)·W(T_bg))`` over 8–14 µm (``radiometry``), so a target under 9 pixels reads
  cold (size-of-source effect [S72]; a 1-pixel target peaks at ``f = 1/9``). Σf = A, so radiance is
  conserved. Each overlay is capped at 4000 pixels.
  The two overlays sit on opposite halves of the frame, so even the largest never overlap.
- Faults: dead pixels stuck at the bottom of the calibrated range (−10 °C) and hot pixels 15–60 °C above the scene;
  both appear at per-device failure ages (Poisson, 0.002 and 0.0005 new defects per day of age
  [assumption]: the Lepton's pipeline replaces defective pixels it knows of, so only pixels failing in
  the field get through) and stay. ``dead_pixel_count`` is the device's count of stuck-cold pixels.

Statistics per frame (vectorised over all frames at once): weighted mean and standard deviation, the
weighted median and 99th percentile from one sort of the ≈ 120 atoms, min/max over atoms with weight,
``hotspot_pixel_count`` = pixels > median + 10 °C, ``hotspot_delta_c`` = the temperature reached by
the hottest 3 × 3-pixel region (the smallest target a camera measures [S71]) − median. Defective pixels
are isolated, so they are never part of such a region: they move the maximum and p99, not the hotspot
(the Lepton replaces the defective pixels it knows of and its FFC removes offsets [S13]; field failures
get through, but a single one must not read as a fault). ``hotspot_area_px`` = the pixels of the
overlay (or background) holding the hottest atom at or above ``median + (region − median)/2``: the
spot's half-maximum area, 9 for anything smaller than the 3 × 3 blur (``hotspot_area``).
``roi_delta_c`` is the fixed installation's phase comparison (``roi_delta``, docs/physics.md §2.5): the
regions of interest drawn on the monitored equipment at installation hold its healthy parts (the warm
region) and the hotspot when it sits on the equipment (``ThermalScene.hotspot_on_equipment``); the
reading is the hottest 3 × 3 region inside them minus the healthy reference part's, as an ROI delta of
a fixed-mount monitor [S84] computed from the Lepton's per-pixel radiometric output [S13]. The hottest
healthy part of a set reads above the reference by a per-device share of the reference's excess over
the scene, ``|N(0, 0.15)|`` (load imbalance between phases, emissivity of weathered parts
[assumption]). A hotspot elsewhere in view leaves it at that healthy level. ``roi_delta_rated_c`` is
that delta scaled to rated load as a thermographer grades a rise found at part load, ``ΔT ·
max(ℓ, 0.3)^−1.8`` (``physics.thermal.rise_at_rated_load``, docs/physics.md §2.5 [S56][S90][S91]), with
the box's own load estimate ``ℓ``: its AC field reading (``TrueField.emf``) over the field at rated
current recorded at commissioning, off by a per-device factor ``1 + N(0, 0.05)`` [assumption]. A
resistive joint reads about its rated rise whatever the load; heat that does not come from the
current does not. The 16×12 image
is exact for the same scene: the background pattern's block means, plus each overlay atom's excess in
the blocks that hold its pixels (row and column classes are separable), plus the defects in their
blocks. ``render_frame`` draws the same scene pixel by pixel; the tests check the atoms against it.
Temporal noise (NETD < 50 mK [S13]; 0.1 °C in low gain [assumption]) is added to each statistic rather
than to each pixel; block means of 100 pixels average it to ≤ 10 mK, below the 0.01 K output step, so
the image carries none.

Camera facts used (`docs/physics.md` §1.6, §3.5): scene range −10…140 °C in high gain and up to
400 °C in low gain, switching to low gain when the frame exceeds 140 °C [S14]; accuracy ±5 °C (high) and
±10 °C (low) [S13] → device offsets σ 2.5 and 5 °C, gain σ 1 %, an offset that follows the camera
(enclosure) temperature at σ 0.05 °C/K and drifts σ 0.5 °C/year [assumption]; radiometric resolution
0.01 K [S13]; flat-field correction closes the shutter for ≈ 1 s [S13][S14] every 180 s ± 10 % (the
Lepton's default automatic FFC period [unverified]; the jitter stands for temperature-triggered FFCs),
and a reading inside one repeats the last frame with ``ffc_in_progress`` set. −10 °C is the edge of the
calibrated range, not a hard limit: a frame with pixels between −60 °C (a clear sky's reflection [S70])
and −10 °C is reported as it is, with status ``REDUCED_ACCURACY``; values outside −60…400 °C are
clipped and flagged ``SATURATED``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from envirosense.simulation.field import ThermalScene, TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.physics.ambient import rated_line_field_ut
from envirosense.simulation.physics.thermal import rise_at_rated_load
from envirosense.simulation.sensors.base import FloatArray, RawReadings, SensorModel, age_days
from envirosense.simulation.sensors.limits import OutputRange
from envirosense.simulation.sensors.radiometry import mixed_pixel_temperature

IntArray = NDArray[np.int64]

FRAME_WIDTH = 160
FRAME_HEIGHT = 120
N_PIXELS = FRAME_WIDTH * FRAME_HEIGHT
BLOCK_PX = 10
IMAGE_COLUMNS = FRAME_WIDTH // BLOCK_PX
IMAGE_ROWS = FRAME_HEIGHT // BLOCK_PX
CALIBRATED_MIN_C = -10.0
"""Bottom of the Lepton's calibrated scene range [S14]: colder pixels are reported with reduced accuracy."""
SCENE_MIN_C = -60.0
"""Coldest scene value reported: a clear sky reflects as −50…−60 °C [S70]; colder is clipped, SATURATED."""
DEAD_PIXEL_C = CALIBRATED_MIN_C
HIGH_GAIN_MAX_C = 140.0
SCENE_MAX_C = 400.0
HOTSPOT_THRESHOLD_C = 10.0
HOTSPOT_REGION_PX = 9.0
"""A hotspot is a region of at least 3 × 3 pixels, the smallest target a camera measures [S71]."""
MAX_OVERLAY_PX = 4000.0
RATED_DELTA_MAX_C = 4000.0
"""Top of ``roi_delta_rated_c``: the largest ROI delta (460 °C) scaled from the lowest load (≈ 8.7×)."""
FFC_DURATION_S = 1.0

_QUANTILE_EDGES = np.unique(
    np.concatenate([np.linspace(0.0, 0.02, 21), np.linspace(0.02, 0.98, 49), np.linspace(0.98, 1.0, 21)])
)


def box_blurred_profile(side_px: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Fill fractions along one axis of a square of side ``side_px`` (``(T,)``) blurred by a 3-px box.

    Returns ``values`` and ``counts``, both ``(T, 4)`` (the interior, value 1, then the partial offsets
    ``m, m+1, m+2`` from the centre pixel, on both sides; counts 0 where unused; ``Σ counts·values =
    side_px``), and ``m`` (``(T,)``): the interior spans offsets ``−(m−1) … m−1``.
    """
    half = side_px / 2.0
    interior = np.where(half >= 1.5, np.floor(half - 1.5) + 1.0, 0.0)
    offsets = interior[:, None] + np.arange(3.0)[None, :]
    overlap = np.clip(np.minimum(half[:, None], offsets + 1.5) - np.maximum(-half[:, None], offsets - 1.5), 0.0, 3.0)
    partial = overlap / 3.0
    partial_counts = np.where(partial > 0.0, np.where(offsets == 0.0, 1.0, 2.0), 0.0)
    values = np.concatenate([np.ones_like(half)[:, None], partial], axis=1)
    counts = np.concatenate([np.where(interior > 0, 2.0 * interior - 1.0, 0.0)[:, None], partial_counts], axis=1)
    return values, counts, interior


def overlay_side(area_px: FloatArray) -> FloatArray:
    """Side of the square standing for an overlay of ``area_px`` pixels (capped at ``MAX_OVERLAY_PX``), px."""
    result: FloatArray = np.sqrt(np.clip(area_px, 0.0, MAX_OVERLAY_PX))
    return result


def axis_block_counts(interior: FloatArray, centre: int, n_blocks: int) -> FloatArray:
    """Pixels of each profile class (interior, three partial offsets) in each 10-px block along one axis.

    ``interior``: ``m`` from ``box_blurred_profile``, ``(T,)``; ``centre``: the overlay's centre pixel on
    this axis. Returns ``(T, 4, n_blocks)``.
    """
    starts = np.arange(n_blocks) * BLOCK_PX
    low, high = centre - (interior - 1.0), centre + (interior - 1.0)
    inner = np.clip(
        np.minimum(high[:, None], starts + BLOCK_PX - 1) - np.maximum(low[:, None], starts) + 1.0, 0.0, None
    )
    offsets = interior[:, None] + np.arange(3.0)[None, :]
    after = np.floor((centre + offsets) / BLOCK_PX)[:, :, None] == np.arange(n_blocks)
    before = np.floor((centre - offsets) / BLOCK_PX)[:, :, None] == np.arange(n_blocks)
    partial = after.astype(np.float64) + before * (offsets > 0.0)[:, :, None]
    return np.concatenate([inner[:, None, :], partial], axis=1)


def weighted_quantiles(values: FloatArray, weights: FloatArray, qs: tuple[float, ...]) -> FloatArray:
    """Per-row lower quantiles ``qs`` of atoms ``values`` with ``weights`` (both ``(T, M)``) → ``(len(qs), T)``."""
    order = np.argsort(values, axis=1)
    ordered = np.take_along_axis(values, order, axis=1)
    cumulative = np.cumsum(np.take_along_axis(weights, order, axis=1), axis=1)
    rows = np.arange(values.shape[0])
    result = np.empty((len(qs), values.shape[0]))
    for k, q in enumerate(qs):
        position = np.argmax(cumulative >= q * cumulative[:, -1:] - 1e-9, axis=1)
        result[k] = ordered[rows, position]
    return result


def hottest_region(values: FloatArray, weights: FloatArray, size_px: float) -> FloatArray:
    """Per row, the temperature that the hottest ``size_px`` pixels of the atoms all reach, ``(T,)`` °C.

    ``values``, ``weights``: ``(T, M)`` atoms and their pixel counts. The atoms passed in are the scene
    without its isolated defective pixels: an overlay's hottest pixels are its contiguous centre and the
    background's are a smooth patch, so this is the hottest connected ``size_px``-pixel region.
    """
    order = np.argsort(-values, axis=1)
    ordered = np.take_along_axis(values, order, axis=1)
    cumulative = np.cumsum(np.take_along_axis(weights, order, axis=1), axis=1)
    position = np.argmax(cumulative >= size_px - 1e-9, axis=1)
    result: FloatArray = ordered[np.arange(values.shape[0]), position]
    return result


def hotspot_area(
    values: FloatArray, weights: FloatArray, groups: tuple[slice, ...], region_c: FloatArray, median_c: FloatArray
) -> FloatArray:
    """Pixels of the hottest spot at or above half its excess over the median (its half-maximum area), ``(T,)``.

    ``values``, ``weights``: ``(T, M)`` scene atoms without the isolated defective pixels; ``groups``: the
    atom slices of the background and of each overlay (spatially separate); ``region_c``: the hottest
    3 × 3 region, ``median_c``: the frame median, both ``(T,)`` °C. The spot is the group holding the
    hottest atom. A source smaller than a pixel is spread by the optics over the 3 × 3 box, so its
    area reads 9 whatever its true size; a resolved surface reads its own area.
    """
    half = (median_c + 0.5 * (region_c - median_c))[:, None]
    hottest = np.stack([np.max(np.where(weights[:, g] > 0, values[:, g], -np.inf), axis=1) for g in groups], axis=1)
    spot = np.argmax(hottest, axis=1)
    areas = np.stack([(weights[:, g] * (values[:, g] >= half)).sum(axis=1) for g in groups], axis=1)
    result: FloatArray = np.round(areas[np.arange(values.shape[0]), spot])
    return result


def roi_delta(
    values: FloatArray,
    weights: FloatArray,
    similar: slice,
    spot: slice,
    spot_on_equipment: NDArray[np.bool_],
    median_c: FloatArray,
    mismatch: float,
) -> FloatArray:
    """Phase comparison inside the regions of interest on the monitored equipment, ``(T,)`` °C.

    ``values``, ``weights``: ``(T, M)`` calibrated scene atoms without the isolated defective pixels;
    ``similar``: the atoms of the healthy equipment (the reference parts under the same load); ``spot``:
    the hotspot's atoms, inside the regions only where ``spot_on_equipment`` (``(T,)``); ``median_c``:
    the frame median, ``(T,)`` °C; ``mismatch``: how much hotter the hottest healthy part of the set
    reads than the reference, as a share of the reference's excess over the scene (load imbalance,
    emissivity). Returns the hottest 3 × 3 region inside the regions minus the reference's, ≥ 0: the
    "ΔT against a similar part under similar load" of NETA's table. A hotspot elsewhere in view does
    not count; the camera's own offset cancels in the difference.
    """
    reference = hottest_region(values[:, similar], weights[:, similar], HOTSPOT_REGION_PX)
    healthy = reference + mismatch * np.maximum(reference - median_c, 0.0)
    fault = hottest_region(values[:, spot], weights[:, spot], HOTSPOT_REGION_PX)
    hottest = np.maximum(healthy, np.where(spot_on_equipment, fault, -np.inf))
    result: FloatArray = np.maximum(hottest - reference, 0.0)
    return result


def _one_hot_blocks(pixels: IntArray) -> FloatArray:
    """``(K, 192)`` indicator of the 10×10 block that holds each flat pixel index."""
    rows, columns = np.divmod(pixels, FRAME_WIDTH)
    blocks = (rows // BLOCK_PX) * IMAGE_COLUMNS + columns // BLOCK_PX
    matrix = np.zeros((pixels.shape[0], IMAGE_ROWS * IMAGE_COLUMNS))
    matrix[np.arange(pixels.shape[0]), blocks] = 1.0
    return matrix


class SceneLayout:
    """One camera's static view and defect history.

    ``pattern``: ``(120, 160)`` zero-mean background structure, °C at unit contrast;
    ``warm_pixel`` / ``hotspot_pixel``: (row, column) centres of the two overlays, on opposite halves of
    the frame so that even the largest overlays neither overlap nor leave the frame;
    ``dead_pixels`` / ``hot_pixels``: flat pixel indices, with the age (days) at which each fails in
    ``dead_ages`` / ``hot_ages``; ``hot_offsets``: how far each hot pixel reads above the scene, °C.
    """

    def __init__(
        self,
        pattern: FloatArray,
        warm_pixel: tuple[int, int],
        hotspot_pixel: tuple[int, int],
        dead_pixels: IntArray,
        dead_ages: FloatArray,
        hot_pixels: IntArray,
        hot_ages: FloatArray,
        hot_offsets: FloatArray,
    ) -> None:
        self.pattern = pattern
        self.warm_pixel = warm_pixel
        self.hotspot_pixel = hotspot_pixel
        self.dead_pixels = dead_pixels
        self.dead_ages = dead_ages
        self.hot_pixels = hot_pixels
        self.hot_ages = hot_ages
        self.hot_offsets = hot_offsets
        flat = pattern.ravel()
        mids = (_QUANTILE_EDGES[1:] + _QUANTILE_EDGES[:-1]) / 2.0
        self.atom_values = np.concatenate([[flat.min()], np.quantile(flat, mids), [flat.max()]])
        self.atom_fractions = np.concatenate([[1.0], np.diff(_QUANTILE_EDGES) * (N_PIXELS - 2), [1.0]]) / N_PIXELS
        self.block_means = pattern.reshape(IMAGE_ROWS, BLOCK_PX, IMAGE_COLUMNS, BLOCK_PX).mean(axis=(1, 3)).ravel()
        self.hot_pattern = flat[hot_pixels]
        self.dead_blocks = _one_hot_blocks(dead_pixels)
        self.hot_blocks = _one_hot_blocks(hot_pixels)

    @classmethod
    def draw(
        cls, rng: np.random.Generator, max_age_days: float, dead_per_day: float, hot_per_day: float
    ) -> SceneLayout:
        """A random view: a sky-to-ground gradient, three low-frequency texture waves, 0.05 °C fixed-pattern
        residue; overlay centres; defects failing uniformly over ``[0, max_age_days]`` at the given rates."""
        rows = (np.arange(FRAME_HEIGHT) / (FRAME_HEIGHT - 1) - 0.5)[:, None]
        columns = (np.arange(FRAME_WIDTH) / (FRAME_WIDTH - 1) - 0.5)[None, :]
        pattern = np.zeros((FRAME_HEIGHT, FRAME_WIDTH)) + rng.uniform(-2.5, 0.5) * (0.5 - rows)
        waves = rng.uniform(1.0, 4.0, size=(3, 2)) * rng.choice([-1.0, 1.0], size=(3, 2))
        amplitudes = 0.3 * rng.standard_normal(3)
        phases = rng.uniform(0.0, 2.0 * np.pi, size=3)
        for (ky, kx), amplitude, phase in zip(waves, amplitudes, phases, strict=True):
            pattern = pattern + amplitude * np.cos(2.0 * np.pi * (ky * rows + kx * columns) + phase)
        pattern = pattern + 0.05 * rng.standard_normal((FRAME_HEIGHT, FRAME_WIDTH))
        centre_rows = rng.integers(52, 68, size=2)
        left, right = int(rng.integers(36, 44)), int(rng.integers(116, 124))
        warm_column, hotspot_column = (left, right) if rng.random() < 0.5 else (right, left)
        n_dead = int(rng.poisson(dead_per_day * max_age_days))
        n_hot = int(rng.poisson(hot_per_day * max_age_days))
        return cls(
            pattern=pattern - pattern.mean(),
            warm_pixel=(int(centre_rows[0]), warm_column),
            hotspot_pixel=(int(centre_rows[1]), hotspot_column),
            dead_pixels=rng.integers(0, N_PIXELS, size=n_dead),
            dead_ages=rng.uniform(0.0, max_age_days, size=n_dead),
            hot_pixels=rng.integers(0, N_PIXELS, size=n_hot),
            hot_ages=rng.uniform(0.0, max_age_days, size=n_hot),
            hot_offsets=rng.uniform(15.0, 60.0, size=n_hot),
        )


@dataclass
class FrameAtoms:
    """Apparent (pre-calibration) frames of ``T`` timesteps as weighted pixel values, dead pixels excluded.

    ``values``, ``weights``: ``(T, M)`` °C and pixel counts (weights sum to 19,200 − dead pixels);
    ``overlay_excess``: per overlay (warm region, hotspot), each atom's excess over the background,
    ``(T, 4, 4)`` °C (row class × column class), and ``overlay_covered``, 1 where that atom has any fill;
    ``overlay_interior``: per overlay, ``m`` of its profile, ``(T,)``;
    ``dead_active`` / ``hot_active``: ``(T, K)``, 1 once a defect has appeared.
    """

    values: FloatArray
    weights: FloatArray
    overlay_excess: list[FloatArray]
    overlay_covered: list[FloatArray]
    overlay_interior: list[FloatArray]
    dead_active: FloatArray
    hot_active: FloatArray


def scene_contrast(irradiance_w_m2: FloatArray) -> FloatArray:
    """Scale of the background structure: sunshine sharpens the scene's temperature differences."""
    result: FloatArray = 0.6 + 1.4 * np.clip(irradiance_w_m2, 0.0, None) / 1000.0
    return result


def frame_atoms(layout: SceneLayout, scene: ThermalScene, contrast: FloatArray, age: FloatArray) -> FrameAtoms:
    """The frames' weighted pixel values (see the module docstring); ``age``: days, ``(T,)``."""
    background = scene.background_c
    dead_active = (layout.dead_ages[None, :] <= age[:, None]).astype(np.float64)
    hot_active = (layout.hot_ages[None, :] <= age[:, None]).astype(np.float64)
    overlay_values, overlay_pixels, overlay_excess, overlay_covered, overlay_interior = [], [], [], [], []
    overlays = ((scene.warm_region_c, scene.warm_region_area_px), (scene.hotspot_surface_c, scene.hotspot_area_px))
    for target, area in overlays:
        profile, counts, interior = box_blurred_profile(overlay_side(area))
        fill = (profile[:, :, None] * profile[:, None, :]).reshape(-1, 16)
        pixels = (counts[:, :, None] * counts[:, None, :]).reshape(-1, 16)
        apparent = mixed_pixel_temperature(fill, target[:, None], background[:, None])
        overlay_values.append(apparent)
        overlay_pixels.append(np.where(fill > 0.0, pixels, 0.0))
        overlay_excess.append((apparent - background[:, None]).reshape(-1, 4, 4))
        overlay_covered.append((fill > 0.0).astype(np.float64).reshape(-1, 4, 4))
        overlay_interior.append(interior)
    n_background = N_PIXELS - overlay_pixels[0].sum(axis=1) - overlay_pixels[1].sum(axis=1)
    n_background = n_background - dead_active.sum(axis=1) - hot_active.sum(axis=1)
    values = np.concatenate(
        [
            background[:, None] + contrast[:, None] * layout.atom_values[None, :],
            *overlay_values,
            background[:, None] + contrast[:, None] * layout.hot_pattern[None, :] + layout.hot_offsets[None, :],
        ],
        axis=1,
    )
    weights = np.concatenate(
        [n_background[:, None] * layout.atom_fractions[None, :], *overlay_pixels, hot_active], axis=1
    )
    return FrameAtoms(values, weights, overlay_excess, overlay_covered, overlay_interior, dead_active, hot_active)


def block_image(layout: SceneLayout, atoms: FrameAtoms, scene: ThermalScene, contrast: FloatArray) -> FloatArray:
    """Apparent 16×12 block means counting dead pixels as background, ``(T, 192)`` row-major, °C.

    Overlay pixels replace the background; the pattern they hide is taken as the block's mean pattern
    (the only approximation: the pattern varies by a few tenths of a degree within a block). Each
    overlay touches only the window of blocks its largest footprint of the run can reach.
    """
    n = scene.background_c.shape[0]
    pattern = contrast[:, None] * layout.block_means[None, :]
    image = (scene.background_c[:, None] + pattern).reshape(n, IMAGE_ROWS, IMAGE_COLUMNS)
    pattern = pattern.reshape(n, IMAGE_ROWS, IMAGE_COLUMNS)
    centres = (layout.warm_pixel, layout.hotspot_pixel)
    overlays = zip(centres, atoms.overlay_excess, atoms.overlay_covered, atoms.overlay_interior, strict=True)
    for (row, column), excess, present, interior in overlays:
        reach = int(interior.max()) + 3
        r0, r1 = max((row - reach) // BLOCK_PX, 0), min((row + reach) // BLOCK_PX + 1, IMAGE_ROWS)
        c0, c1 = max((column - reach) // BLOCK_PX, 0), min((column + reach) // BLOCK_PX + 1, IMAGE_COLUMNS)
        down = axis_block_counts(interior, row - r0 * BLOCK_PX, r1 - r0)
        across = axis_block_counts(interior, column - c0 * BLOCK_PX, c1 - c0)
        stacked = np.stack([excess, present], axis=1)
        per_row = np.zeros((n, 2, r1 - r0, 4))
        for i in range(4):
            per_row += down[:, None, i, :, None] * stacked[:, :, i, None, :]
        blocks = np.zeros((n, 2, r1 - r0, c1 - c0))
        for j in range(4):
            blocks += per_row[:, :, :, j, None] * across[:, None, None, j, :]
        window = (slice(None), slice(r0, r1), slice(c0, c1))
        image[window] += (blocks[:, 0] - pattern[window] * blocks[:, 1]) / BLOCK_PX**2
    hot_offsets = atoms.hot_active * layout.hot_offsets[None, :]
    result: FloatArray = image.reshape(n, -1) + hot_offsets @ layout.hot_blocks / BLOCK_PX**2
    return result


def render_frame(
    layout: SceneLayout, scene: ThermalScene, contrast: FloatArray, age: FloatArray, index: int
) -> FloatArray:
    """Reference full-resolution apparent frame at timestep ``index``, ``(120, 160)`` °C, dead pixels NaN.

    The same scene the atoms summarise, pixel by pixel; the tests check the atoms against it.
    """
    background = float(scene.background_c[index])
    frame = background + float(contrast[index]) * layout.pattern
    overlays = (
        (layout.warm_pixel, scene.warm_region_c[index], scene.warm_region_area_px[index]),
        (layout.hotspot_pixel, scene.hotspot_surface_c[index], scene.hotspot_area_px[index]),
    )
    for (row, column), target, area in overlays:
        half = float(overlay_side(np.array(area))) / 2.0
        down = (
            np.clip(
                np.minimum(half, np.arange(FRAME_HEIGHT) - row + 1.5)
                - np.maximum(-half, np.arange(FRAME_HEIGHT) - row - 1.5),
                0.0,
                3.0,
            )
            / 3.0
        )
        across = (
            np.clip(
                np.minimum(half, np.arange(FRAME_WIDTH) - column + 1.5)
                - np.maximum(-half, np.arange(FRAME_WIDTH) - column - 1.5),
                0.0,
                3.0,
            )
            / 3.0
        )
        fraction = down[:, None] * across[None, :]
        covered = fraction > 0.0
        frame[covered] = mixed_pixel_temperature(fraction[covered], np.array(target), np.array(background))
    flat = frame.ravel()
    hot = layout.hot_ages <= age[index]
    flat[layout.hot_pixels[hot]] = (
        background + float(contrast[index]) * layout.hot_pattern[hot] + layout.hot_offsets[hot]
    )
    flat[layout.dead_pixels[layout.dead_ages <= age[index]]] = np.nan
    return frame


class ThermalCameraSensor(SensorModel):
    """Lepton 3.5: atoms of the frame → calibration (gain mode dependent) → clipping → statistics and
    a 16×12 block-mean image → NETD noise → 0.01 K steps → FFC freezes."""

    def __init__(
        self,
        sensor_id: str = "U26_Lepton35",
        *,
        ffc_interval_s: float = 180.0,
        ffc_jitter: float = 0.1,
        netd_c: float = 0.05,
        low_gain_netd_c: float = 0.1,
        offset_sd_c: float = 2.5,
        low_gain_offset_sd_c: float = 5.0,
        gain_sd: float = 0.01,
        offset_tempco_sd_c_per_k: float = 0.05,
        offset_drift_sd_c_per_year: float = 0.5,
        dead_pixels_per_day: float = 0.002,
        hot_pixels_per_day: float = 0.0005,
        phase_mismatch_sd: float = 0.15,
        load_scale_sd: float = 0.05,
    ) -> None:
        super().__init__(sensor_id)
        self.ffc_interval_s = ffc_interval_s
        self.ffc_jitter = ffc_jitter
        self.netd_c = netd_c
        self.low_gain_netd_c = low_gain_netd_c
        self.offset_sd_c = offset_sd_c
        self.low_gain_offset_sd_c = low_gain_offset_sd_c
        self.gain_sd = gain_sd
        self.offset_tempco_sd_c_per_k = offset_tempco_sd_c_per_k
        self.offset_drift_sd_c_per_year = offset_drift_sd_c_per_year
        self.dead_pixels_per_day = dead_pixels_per_day
        self.hot_pixels_per_day = hot_pixels_per_day
        self.phase_mismatch_sd = phase_mismatch_sd
        self.load_scale_sd = load_scale_sd
        self.scene_range = OutputRange(SCENE_MIN_C, SCENE_MAX_C, 0.01, saturates_low=True)
        self.spread_range = OutputRange(0.0, SCENE_MAX_C, 0.01)
        self.delta_range = OutputRange(0.0, SCENE_MAX_C - SCENE_MIN_C, 0.01)
        self.rated_delta_range = OutputRange(0.0, RATED_DELTA_MAX_C, 0.01)
        self.rated_field_ut = rated_line_field_ut()

    def ffc_starts(self, until_s: float, rng: np.random.Generator) -> FloatArray:
        """Start times of the flat-field corrections up to ``until_s``, s: a random phase, then intervals
        of ``ffc_interval_s`` ± ``ffc_jitter`` (uniform; the camera also triggers on its own temperature
        changes, so the period is not exact and a regular sampling does not alias against it)."""
        count = int(until_s / (self.ffc_interval_s * (1.0 - self.ffc_jitter))) + 2
        steps = self.ffc_interval_s * rng.uniform(1.0 - self.ffc_jitter, 1.0 + self.ffc_jitter, size=count)
        result: FloatArray = rng.uniform(0.0, self.ffc_interval_s) + np.concatenate([[0.0], np.cumsum(steps[:-1])])
        return result

    def readings(self, field: TrueField, device: DeviceParams, rng: np.random.Generator) -> RawReadings:
        n = field.n_steps
        age = age_days(field.times_s, device.days_since_calibration)
        layout = SceneLayout.draw(rng, float(age[-1]), self.dead_pixels_per_day, self.hot_pixels_per_day)
        z = rng.standard_normal(5)
        ffc_starts = self.ffc_starts(float(field.times_s[-1]), rng)
        noise = rng.standard_normal((6, n))
        mismatch = self.phase_mismatch_sd * abs(float(rng.standard_normal()))
        roi_noise = rng.standard_normal(n)
        # A child generator: the draws of every other reading, dropouts included, stay as they were.
        load_scale = 1.0 + self.load_scale_sd * float(rng.spawn(1)[0].standard_normal())

        contrast = scene_contrast(field.ambient.solar_irradiance_w_m2)
        atoms = frame_atoms(layout, field.thermal, contrast, age)
        present = atoms.weights > 0
        gain = 1.0 + self.gain_sd * z[0]
        hottest = np.max(np.where(present, atoms.values, -np.inf), axis=1)
        low_gain = gain * hottest + self.offset_sd_c * z[1] > HIGH_GAIN_MAX_C
        offset = np.where(low_gain, self.low_gain_offset_sd_c * z[2], self.offset_sd_c * z[1])
        offset = offset + self.offset_tempco_sd_c_per_k * z[3] * (field.ambient.enclosure_temperature_c - 25.0)
        offset = offset + self.offset_drift_sd_c_per_year / 365.25 * z[4] * age
        calibrated = gain * atoms.values + offset[:, None]
        saturated = (present & ((calibrated < SCENE_MIN_C) | (calibrated > SCENE_MAX_C))).any(axis=1)
        reduced_accuracy = (present & (calibrated < CALIBRATED_MIN_C)).any(axis=1)
        n_dead = atoms.dead_active.sum(axis=1)
        clipped = np.clip(calibrated, SCENE_MIN_C, SCENE_MAX_C)
        scene_atoms = clipped.shape[1] - layout.hot_pixels.size
        region = hottest_region(clipped[:, :scene_atoms], atoms.weights[:, :scene_atoms], HOTSPOT_REGION_PX)
        values = np.concatenate([clipped, np.full((n, 1), DEAD_PIXEL_C)], axis=1)
        weights = np.concatenate([atoms.weights, n_dead[:, None]], axis=1)
        present = weights > 0

        mean = (weights * values).sum(axis=1) / N_PIXELS
        std = np.sqrt(np.maximum((weights * (values - mean[:, None]) ** 2).sum(axis=1) / N_PIXELS, 0.0))
        minimum = np.min(np.where(present[:, :-1], values[:, :-1], np.inf), axis=1)
        maximum = np.max(np.where(present, values, -np.inf), axis=1)
        median, p99 = weighted_quantiles(values, weights, (0.5, 0.99))
        hot_count = np.round((weights * (values > median[:, None] + HOTSPOT_THRESHOLD_C)).sum(axis=1))
        n_background = layout.atom_values.size
        warm, spot = slice(n_background, n_background + 16), slice(n_background + 16, scene_atoms)
        spot_area = hotspot_area(
            clipped[:, :scene_atoms],
            atoms.weights[:, :scene_atoms],
            (slice(0, n_background), warm, spot),
            region,
            median,
        )
        on_equipment = field.thermal.hotspot_on_equipment & (field.thermal.hotspot_area_px > 0)
        roi = roi_delta(clipped, atoms.weights, warm, spot, on_equipment, median, mismatch)

        netd = np.where(low_gain, self.low_gain_netd_c, self.netd_c)
        noisy_minimum = minimum + netd * noise[0]
        minimum = np.where(n_dead > 0, np.minimum(DEAD_PIXEL_C, noisy_minimum), noisy_minimum)
        maximum = maximum + netd * noise[1]
        region = region + netd * noise[5]
        median = median + netd * noise[2]
        p99 = p99 + netd * noise[3]
        mean = mean + netd / np.sqrt(N_PIXELS) * noise[4]
        std = np.sqrt(std**2 + netd**2)
        roi = np.maximum(roi + np.sqrt(2.0) * netd * roi_noise, 0.0)
        load = field.emf.magnetic_field_ut / (self.rated_field_ut * load_scale)
        roi_rated = rise_at_rated_load(roi, load)

        image = gain * block_image(layout, atoms, field.thermal, contrast) + offset[:, None]
        dead_in_block = atoms.dead_active @ layout.dead_blocks
        image = image + dead_in_block * (DEAD_PIXEL_C - image) / BLOCK_PX**2

        values_out = {
            "min_temperature_c": self.scene_range.apply(minimum)[0],
            "max_temperature_c": self.scene_range.apply(maximum)[0],
            "mean_temperature_c": self.scene_range.apply(mean)[0],
            "std_temperature_c": self.spread_range.apply(std)[0],
            "p99_temperature_c": self.scene_range.apply(p99)[0],
            "hotspot_pixel_count": hot_count,
            "hotspot_delta_c": self.delta_range.apply(np.maximum(region - median, 0.0))[0],
            "hotspot_area_px": spot_area,
            "roi_delta_c": self.delta_range.apply(roi)[0],
            "roi_delta_rated_c": self.rated_delta_range.apply(roi_rated)[0],
            "dead_pixel_count": n_dead,
            "downsampled_image_c": self.scene_range.apply(image)[0],
        }
        last_ffc = np.searchsorted(ffc_starts, field.times_s, side="right") - 1
        in_ffc = (last_ffc >= 0) & (field.times_s - ffc_starts[np.maximum(last_ffc, 0)] < FFC_DURATION_S)
        frame = np.maximum.accumulate(np.where(in_ffc, 0, np.arange(n)))
        frozen = np.flatnonzero(in_ffc)
        for column in values_out.values():
            column[frozen] = column[frame[frozen]]
        saturated[frozen] = saturated[frame[frozen]]
        reduced_accuracy[frozen] = reduced_accuracy[frame[frozen]]
        values_out["ffc_in_progress"] = in_ffc.astype(np.float64)
        return RawReadings(values_out, saturated, reduced_accuracy)
