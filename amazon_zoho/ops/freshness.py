"""How fresh users expect each layer to be; the UI marks an asset stale once its window passes.

Orders and their Zoho copies are refreshed daily, so a day and a few hours of slack; settlements follow
Amazon's ~14-day cycle plus publishing delay, so their window is longer.
"""

import warnings
from datetime import timedelta

import dagster as dg

DAILY = dg.FreshnessPolicy.time_window(warn_window=timedelta(hours=26), fail_window=timedelta(hours=30))
SETTLEMENTS = dg.FreshnessPolicy.time_window(warn_window=timedelta(days=3), fail_window=timedelta(days=17))


def with_freshness(defs: dg.Definitions) -> dg.Definitions:
    def apply(spec: dg.AssetSpec) -> dg.AssetSpec:
        if spec.freshness_policy is not None:  # an asset that declares its own rhythm keeps it
            return spec
        policy = SETTLEMENTS if "settlement" in spec.key.to_user_string() else DAILY
        return spec.replace_attributes(freshness_policy=policy)

    with warnings.catch_warnings():
        # Dagster 1.13 marks spec mapping "preview"; it is the documented way to set one policy globally.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return defs.map_asset_specs(func=apply)
