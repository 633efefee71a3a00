import pytest

from dmabuf_lab.kmodel import (EINVAL, ENOMEM, EOPNOTSUPP, ERR_PTR, IS_ERR, IS_ERR_OR_NULL,
                               PTR_ERR, KernelError, errname, parse_errno)


def test_linux_numbering():
    # include/uapi/asm-generic/errno-base.h and errno.h
    assert (EINVAL, ENOMEM, EOPNOTSUPP) == (22, 12, 95)


def test_errname_either_sign():
    assert errname(-22) == errname(22) == "-EINVAL"
    assert errname(-95) == "-EOPNOTSUPP"
    assert errname(0) == "0"
    assert errname(-9999) == "-E9999"


@pytest.mark.parametrize("text,value", [("-EINVAL", -22), ("EINVAL", -22), ("-22", -22),
                                        ("22", -22), (" -enomem ", -12), ("ENOTSUP", -95),
                                        (12, -12), ("0", 0)])
def test_parse_errno(text, value):
    assert parse_errno(text) == value


def test_parse_errno_unknown_names_choices():
    with pytest.raises(ValueError, match="EINVAL"):
        parse_errno("-EBOGUS")


def test_kernel_error_carries_errno():
    for err in (-22, 22):
        e = KernelError(err, "nranges is 0")
        assert (e.errno, e.code) == (22, -22)
        assert str(e) == "-EINVAL: nranges is 0"
    assert str(KernelError(-12)) == "-ENOMEM"
    with pytest.raises(ValueError):
        KernelError(0)


def test_err_ptr():
    p = ERR_PTR(-22)
    assert IS_ERR(p) and IS_ERR_OR_NULL(p) and PTR_ERR(p) == -22
    assert bool(p)                       # `if (!p)` does not catch an ERR_PTR
    assert not IS_ERR(None) and IS_ERR_OR_NULL(None)
    assert not IS_ERR(object()) and not IS_ERR(-22)
    with pytest.raises(ValueError):
        ERR_PTR(22)
    with pytest.raises(TypeError):
        PTR_ERR(object())
