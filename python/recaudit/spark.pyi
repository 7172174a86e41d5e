import os
from typing import Any, Optional, Sequence, Union

from recaudit import Audit

def audit(
    recs: Any,
    users: Any,
    items: Any = ...,
    truth: Any = ...,
    history: Any = ...,
    *,
    out: Union[str, "os.PathLike[str]", None] = ...,
    partitions: Optional[int] = ...,
    staging: Union[str, "os.PathLike[str]", None] = ...,
    k: Optional[int] = ...,
    slices: Union[str, Sequence[str], None] = ...,
    policy: Union[str, "os.PathLike[str]", None] = ...,
    baseline: Union[str, "os.PathLike[str]", None] = ...,
    **settings: Any,
) -> Audit: ...
