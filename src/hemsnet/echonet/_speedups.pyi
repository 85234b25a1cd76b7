from collections.abc import Callable, Set

from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Format2Frame, Frame, Property

def setup(
    frame_type: type[Frame],
    property_type: type[Property],
    eoj_type: type[Eoj],
    esv_by_code: dict[int, Esv],
    setget_codes: Set[int],
    needs_properties: Set[int],
    decode_py: Callable[[bytes], Frame | Format2Frame],
    encode_py: Callable[[Frame | Format2Frame], bytes],
    /,
) -> None: ...
def decode_frame(data: bytes, /) -> Frame | Format2Frame: ...
def encode_frame(frame: Frame | Format2Frame, /) -> bytes: ...
