import type { Profile } from '../../../shared/profiles'
import { notFound } from '../../http/errors'

/** Reading profiles, for the profile service and for anyone who only needs to look them up. */
export interface ProfileReads {
  list(): Profile[]
  find(id: number): Profile | null
  /** Like find, but a missing profile is a 404. */
  get(id: number): Profile
}

export function profileReads(repository: Pick<ProfileReads, 'list' | 'find'>): ProfileReads {
  return {
    list: () => repository.list(),
    find: (id) => repository.find(id),
    get(id) {
      const profile = repository.find(id)
      if (profile === null) throw notFound('profile-not-found', `There is no profile with id ${id}. The list may be out of date; reload it.`)
      return profile
    },
  }
}
