import { LoginPage } from './pages/login-page'
import { Shell } from './pages/shell'
import { UsersPage } from './pages/users-page'
import { expect, test } from './manager'

const admin = { email: 'admin@example.com', password: 'admin-password-1' }
const member = { email: 'member@example.com', password: 'member-password-1' }

test('first user is admin; a second waits for approval, is approved live, and signs in', async ({ browser, baseURL }) => {
  const adminPage = await browser.newPage({ baseURL })
  const adminLogin = new LoginPage(adminPage)
  await adminLogin.open()
  await adminLogin.register(admin.email, admin.password)
  const adminShell = new Shell(adminPage)
  await adminShell.expectSignedIn()
  await expect(adminShell.nav('users')).toBeVisible()
  await expect(adminShell.pendingBadge()).toBeHidden()

  // The second person registers in their own browser context.
  const memberContext = await browser.newContext({ baseURL })
  const memberPage = await memberContext.newPage()
  const memberLogin = new LoginPage(memberPage)
  await memberLogin.open()
  await memberLogin.register(member.email, member.password)
  await expect(memberLogin.pendingMessage()).toBeVisible()
  await expect(memberLogin.pendingMessage()).toContainText(/approv/i)

  // The admin's badge updates by a push, without a reload.
  await expect(adminShell.pendingBadge()).toHaveText('1')
  await adminShell.nav('users').click()
  const users = new UsersPage(adminPage)
  await users.expectStatus(member.email, /waiting for approval/i)
  await users.act(member.email, 'approve')
  await users.expectStatus(member.email, /active/i)
  await expect(adminShell.pendingBadge()).toBeHidden()

  // Approved: the member signs in and sees no Users screen.
  await memberLogin.open()
  await memberLogin.signIn(member.email, member.password)
  const memberShell = new Shell(memberPage)
  await memberShell.expectSignedIn()
  await expect(memberShell.nav('users')).toHaveCount(0)
  await memberPage.goto('/users')
  await expect(memberPage).not.toHaveURL(/\/users$/)
  await memberContext.close()
})

test('wrong passwords and pending accounts get their own messages', async ({ page, request, baseURL }) => {
  // The first registration leaves its session cookie in this context, so the second says where it comes from.
  const origin = { origin: baseURL ?? '' }
  await request.post('/api/auth/register', { data: admin, headers: origin })
  await request.post('/api/auth/register', { data: member, headers: origin })
  const login = new LoginPage(page)
  await login.open()
  await login.signIn(admin.email, 'not-the-password')
  await expect(login.error()).toContainText(/do not match/i)
  await login.signIn(member.email, member.password)
  await expect(login.pendingMessage()).toBeVisible()
})

test('the app shell opens offline after one visit', async ({ page, context }) => {
  const login = new LoginPage(page)
  await login.open()
  await login.register(admin.email, admin.password)
  await new Shell(page).expectSignedIn()
  // The first visit installs the service worker; the next load is the one it controls.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined))
  await page.reload()
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
  await context.setOffline(true)
  await page.reload()
  await new Shell(page).expectSignedIn()
  await expect(page.getByTestId('offline-banner')).toBeVisible()
  await context.setOffline(false)
})
