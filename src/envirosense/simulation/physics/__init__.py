"""First-order physics: weather, transport of gases, particles, heat, sound and fields to the device."""
