"""Strong customer authentication advice: may this payment skip the 3-D Secure challenge?

Pure logic over contracts and the currency table, so the scoring core can use it:
:func:`sca.advise` applies the PSD2 transaction-risk-analysis exemption's amount bands
and reference fraud rates to one decided payment; :class:`sca.FraudRates` carries the
measured 90-day rates from the monitoring workers to the scorers.
"""

from contracts.sca import ScaExemption, ScaOutcome
from sca.advice import TRA_BANDS, AmountBand, ScaAdvice, advise, tra_band
from sca.advisor import ScaAdvisor
from sca.errors import RatesFileError, ScaError
from sca.rates import FraudRates, RatesFile, rates_path

__all__ = [
    "TRA_BANDS",
    "AmountBand",
    "FraudRates",
    "RatesFile",
    "RatesFileError",
    "ScaAdvice",
    "ScaAdvisor",
    "ScaError",
    "ScaExemption",
    "ScaOutcome",
    "advise",
    "rates_path",
    "tra_band",
]
