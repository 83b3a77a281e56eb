"""Times building one signed request in the Python SDKs our users come from, and prints
`<platform> <ns>` lines like `sign_ns`: the median of ROUNDS timed rounds, as `sign_ns` takes
its own. Run by bench/peers.sh inside a throwaway venv."""

import time


ROUNDS = 7


def per_op(f, n):
    for _ in range(1000):
        f()
    rounds = []
    for _ in range(ROUNDS):
        t = time.perf_counter_ns()
        for _ in range(n):
            f()
        rounds.append((time.perf_counter_ns() - t) / n)
    return sorted(rounds)[ROUNDS // 2]


def doudian():
    # PyPI `doudian` 0.6: DouDian._request builds param_json, signs and formats the URL, then
    # calls requests.post; the post is replaced by a stub that stops there.
    import doudian.core as core
    from doudian.type import AppType

    class Stop(Exception):
        pass

    def stub(*a, **k):
        raise Stop()

    core.requests.post = stub
    dd = core.DouDian("3409409348479354011", "2ad2355c-01d0-11f8-91dc-05a8cd1054b1", app_type=AppType.TOOL)
    dd._token = {"access_token": "DOUDIAN-ACCESS-TOKEN", "expires_in": int(time.time()) + 86400}
    params = {"page": 0, "size": 20, "create_time_start": 1700000000, "create_time_end": 1700086400,
              "order_by": "create_time", "product": "测试<&>"}

    def one():
        try:
            dd._request("/order/searchList", params)
        except Stop:
            pass

    return per_op(one, 5000)


def tiktok():
    # PyPI `tiktok-shop-api` 0.1.0: its httpx auth hook adds app_key, timestamp, cipher and sign.
    import httpx
    from tiktok_shop_api.client import _Credentials, _SigningAuth

    auth = _SigningAuth(_Credentials("68xu9ks5p4i8", "e59af819cc", "TTP-ACCESS-TOKEN", "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK"))
    body = {"order_status": "AWAITING_SHIPMENT", "create_time_ge": 1700000000}

    def one():
        req = httpx.Request("POST", "https://open-api.tiktokglobalshop.com/order/202309/orders/search",
                            params={"page_size": "20"}, json=body)
        next(auth.auth_flow(req))

    return per_op(one, 1000)


if __name__ == "__main__":
    print(f"doudian {doudian():.0f}")
    print(f"tiktok {tiktok():.0f}")
