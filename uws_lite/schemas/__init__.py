"""The bundled UWS 1.0 / 1.1 and XLink schemas (data only: see README.md here);
:mod:`uws_lite.schema` validates against them."""

from typing import List

__all__: List[str] = []
