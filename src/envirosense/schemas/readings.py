"""One reading record per sensor kind of the Grid Guardian device.

Ranges are the data-sheet measurement ranges (see ``docs/physics.md`` §1); the
simulated sensors clip to them, and validation rejects anything outside. Every measured value is
nullable: it is null when the sensor's ``status`` says the value was not measured (dropout, warm-up,
fault).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from envirosense.schemas.base import Record, SensorStatus


class SensorReading(Record):
    """Fields every reading shares."""

    sensor_id: str = Field(description="Sensor id on the device, e.g. U20_SPS30 (no unit).")
    status: SensorStatus = Field(
        description="Reading state; values are null unless OK, SATURATED or REDUCED_ACCURACY (no unit)."
    )
    sensor_kind: ClassVar[str] = ""


class VocArrayReading(SensorReading):
    """TFSGS 8-channel VOC array: six compound-selective channels plus two broad metal-oxide channels."""

    avro_name = "VocArrayReading"
    sensor_kind = "voc_array"

    formaldehyde_ppb: float | None = Field(None, ge=0, le=10_000, description="Formaldehyde channel, ppb.")
    acetaldehyde_ppb: float | None = Field(None, ge=0, le=10_000, description="Acetaldehyde channel, ppb.")
    acrolein_ppb: float | None = Field(None, ge=0, le=10_000, description="Acrolein channel, ppb.")
    phenol_ppb: float | None = Field(None, ge=0, le=10_000, description="Phenol channel, ppb.")
    cresol_ppb: float | None = Field(None, ge=0, le=10_000, description="Cresol channel, ppb.")
    guaiacol_ppb: float | None = Field(None, ge=0, le=10_000, description="Guaiacol channel, ppb.")
    general_reducing_ppb: float | None = Field(
        None,
        ge=0,
        le=100_000,
        description="Broad MOX channel for reducing gases (CO, H2, hydrocarbons), ppb CO-equivalent.",
    )
    general_oxidising_ppb: float | None = Field(
        None,
        ge=0,
        le=10_000,
        description="Broad MOX channel for oxidising gases (O3, NO2, HCl), ppb O3-equivalent.",
    )


class ParticulateReading(SensorReading):
    """Sensirion SPS30 optical particle counter."""

    avro_name = "ParticulateReading"
    sensor_kind = "particulate"

    mass_concentration_pm1_0_ug_m3: float | None = Field(None, ge=0, le=1000, description="PM1.0 mass, µg/m³.")
    mass_concentration_pm2_5_ug_m3: float | None = Field(None, ge=0, le=1000, description="PM2.5 mass, µg/m³.")
    mass_concentration_pm4_0_ug_m3: float | None = Field(None, ge=0, le=1000, description="PM4.0 mass, µg/m³.")
    mass_concentration_pm10_ug_m3: float | None = Field(None, ge=0, le=1000, description="PM10 mass, µg/m³.")
    number_concentration_pm0_5_per_cm3: float | None = Field(
        None, ge=0, le=3000, description="PM0.5 number concentration, particles/cm³."
    )
    number_concentration_pm1_0_per_cm3: float | None = Field(
        None, ge=0, le=3000, description="PM1.0 number concentration, particles/cm³."
    )
    number_concentration_pm2_5_per_cm3: float | None = Field(
        None, ge=0, le=3000, description="PM2.5 number concentration, particles/cm³."
    )
    number_concentration_pm10_per_cm3: float | None = Field(
        None, ge=0, le=3000, description="PM10 number concentration, particles/cm³."
    )
    typical_particle_size_um: float | None = Field(None, ge=0, le=10, description="Typical particle size, µm.")


class TemperatureHumidityReading(SensorReading):
    """Sensirion SHT85 temperature and relative humidity."""

    avro_name = "TemperatureHumidityReading"
    sensor_kind = "temperature_humidity"

    temperature_c: float | None = Field(None, ge=-40, le=105, description="Air temperature, °C.")
    relative_humidity_pct: float | None = Field(None, ge=0, le=100, description="Relative humidity, %RH.")


class PressureReading(SensorReading):
    """Bosch BMP388 barometric pressure."""

    avro_name = "PressureReading"
    sensor_kind = "pressure"

    pressure_hpa: float | None = Field(None, ge=300, le=1250, description="Barometric pressure, hPa.")
    sensor_temperature_c: float | None = Field(None, ge=-40, le=85, description="Die temperature, °C.")


class AnemometerReading(SensorReading):
    """FT Technologies FT205 ultrasonic anemometer."""

    avro_name = "AnemometerReading"
    sensor_kind = "anemometer"

    wind_speed_m_s: float | None = Field(None, ge=0, le=75, description="Wind speed, m/s.")
    wind_direction_deg: float | None = Field(
        None, ge=0, lt=360, description="Direction the wind blows from, degrees clockwise from north."
    )
    acoustic_temperature_c: float | None = Field(None, ge=-40, le=70, description="Acoustic temperature, °C.")


class LightningReading(SensorReading):
    """ams AS3935 lightning detector (events counted over the sampling interval)."""

    avro_name = "LightningReading"
    sensor_kind = "lightning"

    strike_count: int | None = Field(None, ge=0, le=10_000, description="Strikes detected in the interval, count.")
    storm_distance_km: float | None = Field(
        None,
        ge=0,
        le=40,
        description="Distance to the storm head, km, quantised to the AS3935 steps; null when no storm.",
    )
    strike_energy: float | None = Field(
        None, ge=0, le=2_097_151, description="Raw 21-bit energy of the last strike (no physical unit)."
    )
    disturber_count: int | None = Field(
        None, ge=0, le=10_000, description="Man-made disturbers rejected in the interval, count."
    )
    noise_level_high: bool | None = Field(None, description="Noise floor above threshold (flag, no unit).")


class ThermalImageReading(SensorReading):
    """FLIR Lepton 3.5 radiometric camera, 160×120: summary statistics and an optional 16×12 image."""

    avro_name = "ThermalImageReading"
    sensor_kind = "thermal_camera"

    min_temperature_c: float | None = Field(None, ge=-60, le=400, description="Coldest pixel, °C.")
    max_temperature_c: float | None = Field(None, ge=-60, le=400, description="Hottest pixel, °C.")
    mean_temperature_c: float | None = Field(None, ge=-60, le=400, description="Mean over the frame, °C.")
    std_temperature_c: float | None = Field(None, ge=0, le=400, description="Standard deviation, °C.")
    p99_temperature_c: float | None = Field(None, ge=-60, le=400, description="99th percentile pixel, °C.")
    hotspot_pixel_count: int | None = Field(
        None, ge=0, le=19_200, description="Pixels more than 10 °C above the frame median, count."
    )
    hotspot_delta_c: float | None = Field(
        None, ge=0, le=460, description="Hottest 3×3-pixel region minus frame median, °C."
    )
    hotspot_area_px: int | None = Field(
        None,
        ge=0,
        le=19_200,
        description="Pixels of the hottest spot at or above half its excess over the frame median (9 for a "
        "spot smaller than the 3×3 optical blur), count; null from devices before schema 1.1.",
    )
    roi_delta_c: float | None = Field(
        None,
        ge=0,
        le=460,
        description="Hottest 3×3-pixel region inside the regions of interest on the monitored equipment minus "
        "its similar healthy parts (phase-to-phase ΔT), °C; null from devices before schema 1.2.",
    )
    roi_delta_rated_c: float | None = Field(
        None,
        ge=0,
        le=4000,
        description="roi_delta_c scaled to rated load, ΔT·max(load, 0.3)^-1.8 with the box's load estimate "
        "from its AC field sensor, °C; null from devices before schema 1.3.",
    )
    dead_pixel_count: int | None = Field(None, ge=0, le=19_200, description="Pixels stuck cold, count.")
    ffc_in_progress: bool | None = Field(
        None, description="Flat-field correction under way; the frame is frozen (flag, no unit)."
    )
    downsampled_image_c: list[float] | None = Field(
        None, description="Optional 16×12 block-mean image, row-major, °C; null when not stored."
    )


class AcousticReading(SensorReading):
    """Knowles SPU0410HR5H MEMS microphone: level and band energies over the interval."""

    avro_name = "AcousticReading"
    sensor_kind = "acoustic"

    spl_db: float | None = Field(None, ge=0, le=140, description="A-weighted sound pressure level, dB SPL.")
    dominant_frequency_hz: float | None = Field(
        None, ge=0, le=80_000, description="Frequency of the strongest band, Hz."
    )
    band_low_db: float | None = Field(None, ge=0, le=140, description="Energy 20–200 Hz, dB SPL.")
    band_mid_db: float | None = Field(None, ge=0, le=140, description="Energy 200–2000 Hz, dB SPL.")
    band_high_db: float | None = Field(None, ge=0, le=140, description="Energy 2–20 kHz, dB SPL.")
    band_ultrasonic_db: float | None = Field(None, ge=0, le=140, description="Energy 36–44 kHz, dB SPL.")
    crest_factor_db: float | None = Field(
        None, ge=0, le=60, description="Peak-to-RMS ratio, dB (impulsive sound scores high)."
    )


class EmfReading(SensorReading):
    """AC magnetic-field sensor (TFEMF)."""

    avro_name = "EmfReading"
    sensor_kind = "emf"

    field_strength_ut: float | None = Field(None, ge=0, le=2000, description="RMS magnetic flux density, µT.")
    dominant_frequency_hz: float | None = Field(None, ge=0, le=1000, description="Fundamental frequency, Hz.")
    harmonic_3_pct: float | None = Field(None, ge=0, le=100, description="3rd harmonic relative to fundamental, %.")
    harmonic_5_pct: float | None = Field(None, ge=0, le=100, description="5th harmonic relative to fundamental, %.")
    hf_noise_db: float | None = Field(
        None, ge=0, le=120, description="Broadband 10 kHz–1 MHz noise above the sensor floor, dB."
    )


class ImuReading(SensorReading):
    """Bosch BMI270 6-axis IMU (the box's own motion and vibration)."""

    avro_name = "ImuReading"
    sensor_kind = "imu"

    acceleration_x_g: float | None = Field(None, ge=-16, le=16, description="Acceleration along x, g.")
    acceleration_y_g: float | None = Field(None, ge=-16, le=16, description="Acceleration along y, g.")
    acceleration_z_g: float | None = Field(None, ge=-16, le=16, description="Acceleration along z, g.")
    angular_rate_x_dps: float | None = Field(None, ge=-2000, le=2000, description="Angular rate about x, °/s.")
    angular_rate_y_dps: float | None = Field(None, ge=-2000, le=2000, description="Angular rate about y, °/s.")
    angular_rate_z_dps: float | None = Field(None, ge=-2000, le=2000, description="Angular rate about z, °/s.")
    vibration_rms_g: float | None = Field(None, ge=0, le=16, description="RMS of high-passed acceleration, g.")


READING_MODELS: tuple[type[SensorReading], ...] = (
    VocArrayReading,
    ParticulateReading,
    TemperatureHumidityReading,
    PressureReading,
    AnemometerReading,
    LightningReading,
    ThermalImageReading,
    AcousticReading,
    EmfReading,
    ImuReading,
)
