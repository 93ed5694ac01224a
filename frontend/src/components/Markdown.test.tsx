import { describe, expect, it } from "vitest";
import { render } from "@testing-library/react";
import { Markdown, renderMarkdown } from "./Markdown";

function dom(source: string): HTMLElement {
  const { container } = render(<Markdown source={source} />);
  return container.firstElementChild as HTMLElement;
}

describe("Markdown", () => {
  it("renders bold, inline code, code blocks and lists", () => {
    const root = dom("Ensure **Amazon S3 buckets** use `aws:SecureTransport`.\n\n- one\n- two\n\n1. first\n2. second\n\n```\naws s3api put-bucket-policy\n```");
    expect(root.querySelector("strong")?.textContent).toBe("Amazon S3 buckets");
    expect(root.querySelector("p code")?.textContent).toBe("aws:SecureTransport");
    expect([...root.querySelectorAll("ul > li")].map((li) => li.textContent)).toEqual(["one", "two"]);
    expect([...root.querySelectorAll("ol > li")].map((li) => li.textContent)).toEqual(["first", "second"]);
    expect(root.querySelector("pre code")?.textContent).toContain("aws s3api put-bucket-policy");
    expect(root.textContent).not.toContain("**");
    expect(root.textContent).not.toContain("`");
  });

  it("neutralises an img with an onerror handler", () => {
    const root = dom("Look <img src=x onerror=alert(1)> here");
    expect(root.querySelector("img")).toBeNull();
    expect(root.querySelector("[onerror]")).toBeNull();
    expect(root.innerHTML).not.toMatch(/<img/i);
  });

  it("neutralises script tags, inline and as a block", () => {
    const root = dom("a <script>alert(1)</script> b\n\n<script>\nalert(2)\n</script>\n");
    expect(root.querySelector("script")).toBeNull();
    expect(root.innerHTML).not.toMatch(/<script/i);
  });

  it("drops javascript: links and opens safe links in a new tab without the opener", () => {
    const root = dom("[x](javascript:alert(1)) and [docs](https://docs.aws.amazon.com/s3/) and [y](JaVaScRiPt:alert(2))");
    const links = [...root.querySelectorAll("a")];
    expect(links.map((a) => a.textContent)).toEqual(["x", "docs", "y"]);
    for (const link of links) {
      expect(link.getAttribute("href") ?? "").not.toMatch(/javascript:/i);
      expect(link.getAttribute("target")).toBe("_blank");
      expect(link.getAttribute("rel")).toBe("noopener noreferrer");
    }
    expect(links[1].getAttribute("href")).toBe("https://docs.aws.amazon.com/s3/");
  });

  it("keeps no element or event handler from raw HTML anywhere (it shows as text)", () => {
    const root = dom('<a href="https://e.example" onclick="alert(1)">c</a> <div onmouseover="x()">d</div> <svg onload=alert(1)>');
    const attributes = [...root.querySelectorAll("*")].flatMap((element) => [...element.attributes].map((attr) => attr.name));
    expect(attributes.filter((name) => name.startsWith("on"))).toEqual([]);
    expect(root.querySelector("a, div, svg")).toBeNull();
    expect(root.textContent).toContain('<div onmouseover="x()">');
    expect(renderMarkdown("<b>x</b>")).toContain("&lt;b&gt;");
  });
});
