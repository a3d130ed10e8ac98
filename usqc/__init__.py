"""usqc: corruption identification and classification in standard-plane prenatal ultrasound."""

__version__ = "0.1.0"
