"""Report layer: fonts, bilingual labels and plots (the only layer importing matplotlib)."""
