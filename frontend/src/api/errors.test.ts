import { describe, expect, it } from "vitest";
import { ApiError, describeDetail, errorMessage } from "./errors";

describe("describeDetail", () => {
  it("uses the server's detail string", () => {
    expect(describeDetail({ detail: "registration is closed: ask an administrator for an invitation" }, 403)).toBe(
      "registration is closed: ask an administrator for an invitation",
    );
  });

  it("words FastAPI 422 lists field by field", () => {
    const body = {
      detail: [
        { loc: ["body", "email"], msg: "value is not a valid email address", type: "value_error" },
        { loc: ["body", "permissions"], msg: "Value error, permissions not grantable to API tokens: users:manage", type: "value_error" },
      ],
    };
    expect(describeDetail(body, 422)).toBe(
      "email: value is not a valid email address; permissions: permissions not grantable to API tokens: users:manage",
    );
  });

  it("falls back to words for the status when the body says nothing", () => {
    expect(describeDetail(null, 429)).toMatch(/Too many attempts/);
    expect(describeDetail({}, 503)).toMatch(/temporarily unavailable/);
    expect(describeDetail("", 418)).toBe("The server answered with status 418.");
  });
});

describe("errorMessage", () => {
  it("reads ApiError, network errors and plain errors", () => {
    expect(errorMessage(new ApiError(404, "finding not found"))).toBe("finding not found");
    expect(errorMessage(new TypeError("Failed to fetch"))).toMatch(/could not be reached/);
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage(42)).toBe("Something went wrong.");
  });
});
