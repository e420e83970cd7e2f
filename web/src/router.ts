import type { Pinia } from 'pinia'
import { watch } from 'vue'
import {
  createRouter,
  createWebHistory,
  type RouteLocationNormalized,
  type RouteLocationRaw,
  type RouteRecordRaw,
  type RouterHistory,
} from 'vue-router'
import type { PublicUser } from '../../shared/users'
import { useAuthStore } from './features/auth/store'
import AppLayout from './features/shell/AppLayout.vue'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in. */
    public?: boolean
    /** Administrators only. */
    admin?: boolean
    /** The page title, also shown in the header. */
    title?: string
  }
}

export const HOME = '/catalog'
/** Where admins land: what the models are doing. Members land on the catalog and find the dashboard in the menu. */
export const DASHBOARD = '/dashboard'

export function homeFor(user: PublicUser): string {
  return user.isAdmin ? DASHBOARD : HOME
}

// Every screen is its own chunk, so the first load carries only the shell.
export const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('./features/auth/LoginView.vue'),
    meta: { public: true, title: 'Sign in' },
  },
  {
    path: '/',
    component: AppLayout,
    children: [
      // Not a redirect: which home depends on who is signed in, known only once the guard has checked.
      { path: '', name: 'home', component: () => import('./features/dashboard/DashboardView.vue') },
      { path: 'dashboard', name: 'dashboard', component: () => import('./features/dashboard/DashboardView.vue'), meta: { title: 'Dashboard' } },
      { path: 'usage', name: 'usage', component: () => import('./features/usage/UsageView.vue'), meta: { title: 'Usage' } },
      { path: 'requests', name: 'requests', component: () => import('./features/requests/RequestsView.vue'), meta: { title: 'Requests' } },
      {
        // Model pages are children of the catalog so its navigation item stays lit on them.
        path: 'catalog',
        children: [
          { path: '', name: 'catalog', component: () => import('./features/catalog/CatalogView.vue'), meta: { title: 'Catalog' } },
          { path: ':org/:name', name: 'catalog-model', component: () => import('./features/catalog/ModelView.vue'), meta: { title: 'Catalog' } },
        ],
      },
      { path: 'models', name: 'models', component: () => import('./features/models/ModelsView.vue'), meta: { title: 'Models' } },
      {
        // Profiles are the machine's configuration: members meet the ones shared with them on Servers and in Chat.
        path: 'profiles',
        children: [
          { path: '', name: 'profiles', component: () => import('./features/profiles/ProfilesView.vue'), meta: { title: 'Profiles', admin: true } },
          {
            path: 'new',
            name: 'profile-new',
            component: () => import('./features/profiles/ProfileEditor.vue'),
            meta: { title: 'New profile', admin: true },
          },
          {
            path: ':id(\\d+)',
            name: 'profile-edit',
            component: () => import('./features/profiles/ProfileEditor.vue'),
            props: true,
            meta: { title: 'Profiles', admin: true },
          },
        ],
      },
      {
        path: 'servers',
        children: [
          { path: '', name: 'servers', component: () => import('./features/servers/ServersView.vue'), meta: { title: 'Servers' } },
          {
            path: ':profileId(\\d+)/logs',
            name: 'server-logs',
            component: () => import('./features/servers/LogView.vue'),
            props: true,
            meta: { title: 'Server log', admin: true },
          },
        ],
      },
      { path: 'chat/:id?', name: 'chat', component: () => import('./features/chat/ChatView.vue'), props: true, meta: { title: 'Chat' } },
      { path: 'engines', name: 'engines', component: () => import('./features/engines/EnginesView.vue'), meta: { title: 'Engines', admin: true } },
      { path: 'peers', name: 'peers', component: () => import('./features/peers/PeersView.vue'), meta: { title: 'Peers', admin: true } },
      { path: 'hosts', name: 'hosts', component: () => import('./features/hosts/HostsView.vue'), meta: { title: 'Hosts', admin: true } },
      {
        path: 'users',
        name: 'users',
        component: () => import('./features/users/UsersView.vue'),
        meta: { title: 'Users', admin: true },
      },
      // Every signed-in user keeps their own API keys; admins may also see everyone's there.
      { path: 'keys', name: 'keys', component: () => import('./features/keys/KeysView.vue'), meta: { title: 'API keys' } },
      // Everyone changes their own password here; admins also the machine's settings.
      { path: 'settings', name: 'settings', component: () => import('./features/settings/SettingsView.vue'), meta: { title: 'Settings' } },
      { path: 'connect', name: 'connect', component: () => import('./features/connect/ConnectView.vue'), meta: { title: 'Connect' } },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('./features/shell/NotFoundView.vue'),
        meta: { title: 'Not found' },
      },
    ],
  },
]

/** Only paths inside this app are followed after signing in (never `//elsewhere.example`). */
export function safeRedirect(value: unknown, fallback = HOME): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && value !== '/login' && value !== '/'
    ? value
    : fallback
}

/** Where a navigation may go for this user: `true`, or the place to go instead. */
export function decide(to: Pick<RouteLocationNormalized, 'meta' | 'fullPath' | 'query'> & { path?: string }, user: PublicUser | null): true | RouteLocationRaw {
  if (to.meta.public === true) return user === null ? true : safeRedirect(to.query.redirect, homeFor(user))
  if (user === null) return { path: '/login', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } }
  if (to.path === '/') return homeFor(user)
  if (to.meta.admin === true && !user.isAdmin) return HOME
  return true
}

export function createAppRouter(pinia: Pinia, history: RouterHistory = createWebHistory()) {
  const router = createRouter({ history, routes })
  const auth = useAuthStore(pinia)

  router.beforeEach(async (to) => {
    await auth.ensureChecked()
    return decide(to, auth.user)
  })
  router.afterEach((to) => {
    document.title = to.meta.title === undefined ? 'MLX Manager' : `${to.meta.title} · MLX Manager`
  })

  // Signed out (here, in another tab, or by an admin) or demoted: leave screens that are no longer allowed.
  watch(
    () => [auth.user?.id, auth.user?.isAdmin],
    () => {
      const current = router.currentRoute.value
      if (current.matched.length === 0) return
      const verdict = decide(current, auth.user)
      if (verdict !== true) void router.replace(verdict)
    },
  )
  return router
}
