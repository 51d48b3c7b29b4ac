"""Deprecated path, kept for one release: import from admission_flow.testing.scenario."""

from admission_flow.testing.scenario import HAPPY_PATH as HAPPY_PATH
from admission_flow.testing.scenario import POWER_OF as POWER_OF
from admission_flow.testing.scenario import SAMPLE_ORGS as SAMPLE_ORGS
from admission_flow.testing.scenario import Step as Step
from admission_flow.testing.scenario import add_sample_orgs as add_sample_orgs
from admission_flow.testing.scenario import competent_org_for as competent_org_for
from admission_flow.testing.scenario import drive as drive
from admission_flow.testing.scenario import sample_contacts as sample_contacts
