using UnityEngine;

namespace Facecast
{
    /// <summary>Turns the head (optionally shared with the neck) and the eyes from a motion source.
    /// Rotations are built in the character's space (its root: +z the face's forward, +y up), so rigs
    /// whose bones have arbitrary local axes turn correctly, and they are applied on top of the rest
    /// pose, or of the Animator's pose when one animates these bones.</summary>
    [AddComponentMenu("Facecast/Facecast Bone Driver")]
    public sealed class FacecastBoneDriver : MonoBehaviour
    {
        public FacecastMotionSource source;
        [Tooltip("The character's root; its forward is where the face looks. Empty: this transform.")]
        public Transform characterRoot;
        public Transform head;
        [Tooltip("Optional: takes a share of the head rotation.")]
        public Transform neck;
        [Range(0f, 1f)] public float neckShare = 0.3f;
        public Transform leftEye;
        public Transform rightEye;
        [Range(0f, 2f)] public float headWeight = 1f;
        [Range(0f, 2f)] public float eyeWeight = 1f;
        [Tooltip("Smoothing time constant in seconds (0: none).")]
        [Range(0f, 0.3f)] public float smoothing = 0.05f;
        [Tooltip("On: bones return to their rest pose each frame before the face's rotation is applied. Off when an Animator animates these bones.")]
        public bool restoreRestPose = true;

        Quaternion _headRest, _neckRest, _leftRest, _rightRest;
        Vector3 _head, _eyeL, _eyeR; // current Euler angles (character space), smoothed

        void Reset()
        {
            source = GetComponentInParent<FacecastMotionSource>();
            characterRoot = transform;
            var animator = GetComponentInParent<Animator>();
            if (animator != null && animator.isHuman)
            {
                head = animator.GetBoneTransform(HumanBodyBones.Head);
                neck = animator.GetBoneTransform(HumanBodyBones.Neck);
                leftEye = animator.GetBoneTransform(HumanBodyBones.LeftEye);
                rightEye = animator.GetBoneTransform(HumanBodyBones.RightEye);
                restoreRestPose = false;
            }
        }

        void Start() { CaptureRestPose(); }

        /// <summary>Takes the bones' current local rotations as the rest pose.</summary>
        public void CaptureRestPose()
        {
            if (head != null) _headRest = head.localRotation;
            if (neck != null) _neckRest = neck.localRotation;
            if (leftEye != null) _leftRest = leftEye.localRotation;
            if (rightEye != null) _rightRest = rightEye.localRotation;
        }

        void LateUpdate()
        {
            if (source == null) return;
            var m = source.Motion;
            float x, y, z;
            HeadPose.ToUnityEuler(m.HeadYaw * headWeight, m.HeadPitch * headWeight, m.HeadRoll * headWeight, out x, out y, out z);
            float k = HeadPose.SmoothingFactor(Time.deltaTime, smoothing);
            _head = Vector3.Lerp(_head, new Vector3(x, y, z), k);
            HeadPose.ToUnityEuler(m.GazeLeftYaw * eyeWeight, m.GazeLeftPitch * eyeWeight, 0f, out x, out y, out z);
            _eyeL = Vector3.Lerp(_eyeL, new Vector3(x, y, 0f), k);
            HeadPose.ToUnityEuler(m.GazeRightYaw * eyeWeight, m.GazeRightPitch * eyeWeight, 0f, out x, out y, out z);
            _eyeR = Vector3.Lerp(_eyeR, new Vector3(x, y, 0f), k);

            Quaternion frame = (characterRoot != null ? characterRoot : transform).rotation;
            float share = neck != null ? neckShare : 0f;
            if (neck != null) Turn(neck, _neckRest, _head * share, frame);
            if (head != null) Turn(head, _headRest, _head * (1f - share), frame);
            // Gaze is relative to the head: the eyes turn in the frame of the turned head.
            Quaternion headFrame = frame * Quaternion.Euler(_head);
            if (leftEye != null) Turn(leftEye, _leftRest, _eyeL, headFrame);
            if (rightEye != null) Turn(rightEye, _rightRest, _eyeR, headFrame);
        }

        void Turn(Transform bone, Quaternion rest, Vector3 euler, Quaternion frame)
        {
            if (restoreRestPose) bone.localRotation = rest;
            // A rotation given in the frame's axes, applied to the bone's world orientation.
            Quaternion world = frame * Quaternion.Euler(euler) * Quaternion.Inverse(frame);
            bone.rotation = world * bone.rotation;
        }
    }
}
