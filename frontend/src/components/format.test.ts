import { describe, expect, it } from "vitest";
import { compareRequirementIds, formatDate, formatDateTime, formatDay, formatShortDate, identifierParts, ruleLine } from "./format";

describe("format", () => {
  it("orders requirement ids naturally", () => {
    expect(["CC1.10", "CC1.2", "5.10", "5.1(a)", "5.2", "5.1"].sort(compareRequirementIds)).toEqual(["5.1", "5.1(a)", "5.2", "5.10", "CC1.2", "CC1.10"]);
  });

  it("shows the full year of a date in another year", () => {
    expect(formatShortDate("2027-03-01T12:00:00Z", new Date("2026-12-01T00:00:00Z"))).toContain("2027");
    expect(formatShortDate("2026-03-01T12:00:00Z", new Date("2026-12-01T00:00:00Z"))).not.toContain("26");
  });

  it("names a rule and its CVEs once each", () => {
    expect(ruleLine("CVE-2019-12900", ["CVE-2019-12900"])).toBe("CVE-2019-12900");
    expect(ruleLine("GHSA-xxxx", ["CVE-1", "CVE-2", "CVE-3"])).toBe("GHSA-xxxx · CVE-1, CVE-2");
    expect(ruleLine("s3_bucket_public", [])).toBe("s3_bucket_public");
  });

  it("finds the distinguishing tail of ARNs, paths and URLs", () => {
    expect(identifierParts("arn:aws:iam::123456789012:role/deploy-role")).toEqual({ head: "arn:aws:iam::123456789012:role/", tail: "deploy-role" });
    expect(identifierParts("arn:aws:s3:::my-logs-bucket")).toEqual({ head: "arn:aws:s3:::", tail: "my-logs-bucket" });
    expect(identifierParts("arn:aws:iam::123456789012:root")).toEqual({ head: "arn:aws:iam::123456789012:", tail: "root" });
    expect(identifierParts("/srv/app/terraform/main.tf")).toEqual({ head: "/srv/app/terraform/", tail: "main.tf" });
    expect(identifierParts("docker.io/library/nginx:1.25")).toEqual({ head: "docker.io/library/", tail: "nginx:1.25" });
    expect(identifierParts("/srv/app/")).toEqual({ head: "/srv/", tail: "app/" });
    expect(identifierParts("my-bucket")).toEqual({ head: "", tail: "my-bucket" });
    expect(identifierParts("/etc")).toEqual({ head: "", tail: "/etc" });
    for (const value of ["arn:aws:iam::1:role/a/b", "a/b/c", "x", "arn:aws:s3:::b/"]) {
      const { head, tail } = identifierParts(value);
      expect(head + tail).toBe(value);
    }
  });

  it("writes full dates with four-digit years", () => {
    expect(formatDate("2027-03-01T12:00:00Z")).toMatch(/2027/);
    expect(formatDateTime("2027-03-01T12:00:00Z")).toMatch(/2027/);
    expect(formatDay("2027-01-02")).toMatch(/2027/);
    expect(formatDay("2026-12-31")).toMatch(/31/);
    for (const text of [formatDate("2027-03-01T12:00:00Z"), formatDay("2027-03-01"), formatShortDate("2027-03-01T12:00:00Z", new Date("2026-12-01T00:00:00Z"))]) {
      expect(text).not.toMatch(/\b27\b/);
    }
  });
});
