import type { Component } from 'vue'
import { IconCatalog, IconChat, IconModels, IconProfiles, IconServers, IconUsers } from '../../components/icons'
import { IconConnect } from '../connect/icon'
import { IconDashboard } from '../dashboard/icon'
import { IconEngines } from '../engines/icon'
import { IconHosts } from '../hosts/icon'
import { IconPeers } from '../peers/icon'
import { IconRequests } from '../requests/icon'
import { IconSettings } from '../settings/icon'
import { IconUsage } from '../usage/icon'

export interface NavItem {
  /** Also the route name and the `nav-<name>` test id. */
  name: string
  label: string
  path: string
  icon: Component
  adminOnly?: boolean
  /** False: left out of the phone's bottom bar, which has no room; the account menu offers it there. */
  inBottomBar?: boolean
}

export const NAV_ITEMS: readonly NavItem[] = [
  // The observability pages: members see their own requests there.
  { name: 'dashboard', label: 'Dashboard', path: '/dashboard', icon: IconDashboard, inBottomBar: false },
  { name: 'catalog', label: 'Catalog', path: '/catalog', icon: IconCatalog },
  { name: 'models', label: 'Models', path: '/models', icon: IconModels },
  // Members have nothing to do with profiles but chat, which lists the ones shared with them.
  { name: 'profiles', label: 'Profiles', path: '/profiles', icon: IconProfiles, adminOnly: true },
  { name: 'servers', label: 'Servers', path: '/servers', icon: IconServers },
  { name: 'usage', label: 'Usage', path: '/usage', icon: IconUsage, inBottomBar: false },
  { name: 'requests', label: 'Requests', path: '/requests', icon: IconRequests, inBottomBar: false },
  { name: 'chat', label: 'Chat', path: '/chat', icon: IconChat },
  { name: 'connect', label: 'Connect', path: '/connect', icon: IconConnect },
  { name: 'engines', label: 'Engines', path: '/engines', icon: IconEngines, adminOnly: true },
  { name: 'peers', label: 'Peers', path: '/peers', icon: IconPeers, adminOnly: true, inBottomBar: false },
  { name: 'hosts', label: 'Hosts', path: '/hosts', icon: IconHosts, adminOnly: true, inBottomBar: false },
  { name: 'users', label: 'Users', path: '/users', icon: IconUsers, adminOnly: true },
  { name: 'settings', label: 'Settings', path: '/settings', icon: IconSettings, inBottomBar: false },
]

/** Non-admins never see the Profiles and Users items. */
export function navItemsFor(isAdmin: boolean): NavItem[] {
  return NAV_ITEMS.filter((item) => isAdmin || item.adminOnly !== true)
}
