#include "clients/tenant_limit.hpp"

#include <memory>

#include <catch2/catch.hpp>

using ds::clients::tenant_limit;

TEST_CASE("a tenant's connections are bounded at the limit, and a place "
          "comes back when its lease ends") {
  tenant_limit limit{2};
  auto a = limit.try_acquire("acme");
  auto b = limit.try_acquire("acme");
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(limit.try_acquire("acme"));
  CHECK(limit.try_acquire("globex")); // another tenant has its own places
  CHECK(limit.open("acme") == 2);
  b.reset();
  CHECK(limit.open("acme") == 1);
  auto c = limit.try_acquire("acme");
  CHECK(c);
  // A lease may outlive the limit object.
  std::unique_ptr<tenant_limit::lease> late;
  {
    tenant_limit gone{1};
    auto l = gone.try_acquire("x");
    REQUIRE(l);
    late = std::make_unique<tenant_limit::lease>(std::move(*l));
  }
  late.reset();
}
