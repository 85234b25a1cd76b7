"""ECHONET Lite service codes (ESV) and their pairing rules [EL spec §3.2.5, AIF 2.2]."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["Esv"]


class Esv(IntEnum):
    """Every ESV the ECHONET Lite specification defines; every other code is reserved."""

    SETI_SNA = 0x50
    SETC_SNA = 0x51
    GET_SNA = 0x52
    INF_SNA = 0x53
    SETGET_SNA = 0x5E
    SETI = 0x60
    SETC = 0x61
    GET = 0x62
    INF_REQ = 0x63
    SETGET = 0x6E
    SET_RES = 0x71
    GET_RES = 0x72
    INF = 0x73
    INFC = 0x74
    INFC_RES = 0x7A
    SETGET_RES = 0x7E

    @property
    def symbol(self) -> str:
        """The spec's symbol, e.g. ``Get_Res`` or ``SetC_SNA``."""
        return _SYMBOLS[self]

    @property
    def is_request(self) -> bool:
        """A service that a node sends to ask another node for something (0x6X)."""
        return 0x60 <= self <= 0x6F

    @property
    def is_sna(self) -> bool:
        """A "response not possible" answer (0x5X)."""
        return 0x50 <= self <= 0x5F

    @property
    def is_setget(self) -> bool:
        """A SetGet-family service whose frame carries OPCSet and OPCGet parts."""
        return self in _SETGET_FAMILY

    @property
    def success_response(self) -> Esv | None:
        """The ESV that answers this request when every property succeeds (None: no answer)."""
        return _SUCCESS.get(self)

    @property
    def sna_response(self) -> Esv | None:
        """The ESV that answers this request when a property fails (None: cannot fail)."""
        return _FAILURE.get(self)

    @property
    def answers(self) -> Esv | None:
        """For a response ESV, the request it answers; None for requests and INF."""
        return _ANSWERS.get(self)


_SYMBOLS = {
    Esv.SETI_SNA: "SetI_SNA",
    Esv.SETC_SNA: "SetC_SNA",
    Esv.GET_SNA: "Get_SNA",
    Esv.INF_SNA: "INF_SNA",
    Esv.SETGET_SNA: "SetGet_SNA",
    Esv.SETI: "SetI",
    Esv.SETC: "SetC",
    Esv.GET: "Get",
    Esv.INF_REQ: "INF_REQ",
    Esv.SETGET: "SetGet",
    Esv.SET_RES: "Set_Res",
    Esv.GET_RES: "Get_Res",
    Esv.INF: "INF",
    Esv.INFC: "INFC",
    Esv.INFC_RES: "INFC_Res",
    Esv.SETGET_RES: "SetGet_Res",
}
_SETGET_FAMILY = frozenset({Esv.SETGET, Esv.SETGET_RES, Esv.SETGET_SNA})
_SUCCESS = {
    Esv.SETC: Esv.SET_RES,
    Esv.GET: Esv.GET_RES,
    Esv.INF_REQ: Esv.INF,
    Esv.SETGET: Esv.SETGET_RES,
    Esv.INFC: Esv.INFC_RES,
}
_FAILURE = {
    Esv.SETI: Esv.SETI_SNA,
    Esv.SETC: Esv.SETC_SNA,
    Esv.GET: Esv.GET_SNA,
    Esv.INF_REQ: Esv.INF_SNA,
    Esv.SETGET: Esv.SETGET_SNA,
}
_ANSWERS: dict[Esv, Esv] = {
    **{response: request for request, response in _SUCCESS.items() if response is not Esv.INF},
    **{response: request for request, response in _FAILURE.items()},
}
