"""## What it does
Reports a file that wce-lint cannot read or parse: bytes that are not valid UTF-8 (or the encoding the file
declares), a NUL byte, a syntax error, nesting deeper than the parser can follow, or a file that cannot be
opened. Valid Python that LibCST's parser cannot handle (thousands of implicitly concatenated strings, for
one) is reported as such, not as a syntax error.

## Why is this bad?
A file the linter cannot parse is a file it cannot check: a misused loss in it would go unnoticed. The
finding carries the parser's line and message so the cause is easy to find; the run goes on with the other
files.

Files whose bytes cannot contain anything a rule looks at are not parsed at all (that is what keeps
wce-lint fast), so a syntax error in such a file is left to your compiler or your general-purpose linter.

## Example
```python
import tensorflow as tf

loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=(x)
```

## Use instead
```python
import tensorflow as tf

loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x)
```

## Fix safety
There is no automatic fix.

## References
- [Python: source code encoding](https://docs.python.org/3/reference/lexical_analysis.html#encoding-declarations)
"""

from __future__ import annotations

from typing import Iterator

from wce_lint.rule import Finding, Rule


def check(module: object) -> Iterator[Finding]:
    # The engine reports WCE000 itself, before any module exists to check.
    return iter(())


RULE = Rule(
    code="WCE000",
    name="syntax-error",
    summary="the file cannot be read or parsed",
    doc=__doc__ or "",
    check=check,
)
