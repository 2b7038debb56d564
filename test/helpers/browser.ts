/**
 * Debian's Chromium, headless, driven by playwright-core, for the page tests. Flags as the probe
 * found them needed on these machines: no sandbox as root, no background networking (the closed
 * network refuses it), a fresh profile per test; with `media`, fake microphone and camera and
 * loopback WebRTC for the softphone. Closed and its profile removed at teardown.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { networkInterfaces, tmpdir } from 'node:os'
import path from 'node:path'
import { chromium, type Page } from 'playwright-core'
import type { Test } from 'tap'

export const CHROMIUM = process.env.HOTLINE_CHROMIUM ?? '/usr/bin/chromium'

/** True inside scripts/pbx-netns.sh's namespace, the only place WebRTC on loopback connects here. */
export const inNetns = 'vmnet0' in networkInterfaces()

export async function openChromium(t: Test, opts: { viewport: { width: number; height: number }; media?: boolean; locale?: string }): Promise<Page> {
  const profile = mkdtempSync(path.join(tmpdir(), 'hotline-chromium-'))
  const media = opts.media ? ['--disable-quic', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection'] : []
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, timeout: 30000, viewport: opts.viewport, ...(opts.locale ? { locale: opts.locale } : {}),
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...media]
  })
  t.teardown(async () => { await ctx.close().catch(() => {}); rmSync(profile, { recursive: true, force: true }) })
  return ctx.pages()[0] ?? (await ctx.newPage())
}
