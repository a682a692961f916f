"""Settings and the bundled example plan."""
from pathlib import Path

BUNDLED_PLANS = Path(__file__).parent / "plans"
